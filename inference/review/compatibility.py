"""Whether a project's labeling config matches ``annotations.schema``, and what a switch would orphan."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import Counter

from annotations.schema import CONTROL_NAME, LABEL_NAMES, OBJECT_NAME, labeling_config_xml


def config_labels(config: str) -> list[str]:
    """Label values of the ``Labels`` control named ``label`` over the ``text`` object."""
    try:
        root = ElementTree.fromstring(config)
    except ElementTree.ParseError:
        return []
    for control in root.iter("Labels"):
        if control.get("name") == CONTROL_NAME and control.get("toName") == OBJECT_NAME:
            return [label.get("value", "") for label in control.iter("Label")]
    return []


def same_config(config: str | None) -> bool:
    """The config is exactly the schema's (so push leaves it alone)."""
    return (config or "").strip() == labeling_config_xml().strip()


def schema_differences(config: str) -> list[str]:
    """How a project's labeling config differs from the schema, in words (empty: compatible)."""
    labels = config_labels(config)
    if not labels:
        return [f'it has no <Labels name="{CONTROL_NAME}" toName="{OBJECT_NAME}"> control']
    problems = []
    extra = [label for label in labels if label not in LABEL_NAMES]
    missing = [label for label in LABEL_NAMES if label not in labels]
    if extra:
        problems.append(f"labels not in the schema: {', '.join(extra)}")
    if missing:
        problems.append(f"schema labels missing from the project: {', '.join(missing)}")
    return problems


def _annotation_results(task: dict) -> list[dict]:
    results = []
    for source in ("annotations", "drafts"):
        for item in task.get(source) or []:
            if isinstance(item, dict):
                results += [r for r in item.get("result") or [] if isinstance(r, dict)]
    return results


def orphaned_labels(tasks: list[dict], labels: tuple[str, ...] = LABEL_NAMES) -> Counter:
    """Labels of existing annotations and drafts that the schema (``labels``) no longer has,
    with counts; results of another control are counted under ``from_name:label``."""
    orphans: Counter = Counter()
    for result in (r for task in tasks for r in _annotation_results(task)):
        value = result.get("value") if isinstance(result.get("value"), dict) else {}
        for label in value.get("labels") or []:
            if result.get("from_name") != CONTROL_NAME or result.get("to_name") != OBJECT_NAME:
                orphans[f"{result.get('from_name')}:{label}"] += 1
            elif label not in labels:
                orphans[label] += 1
    return orphans
