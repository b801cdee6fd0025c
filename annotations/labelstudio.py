"""Label Studio JSON files: reading and validating exports, building tasks.

Gold data is stored as Label Studio JSON export files: a list of tasks, each
with ``data.text`` (one sentence, NFC), ``data.article_id`` and
``data.sentence_index``, and ``annotations[].result[]`` items of type
``labels``.

Which annotation of a task counts:
- annotations with ``was_cancelled: true`` (the reviewer skipped the task) are
  ignored;
- of the remaining ones, the most recently updated is used (a reviewer's
  correction supersedes the first pass);
- a task with no remaining annotation is not gold data and is skipped (the
  count is reported); an annotation with an empty ``result`` is gold data that
  says "this sentence has no slots".
Predictions are never read as gold.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations.schema import CONTROL_NAME, LABEL_NAMES, OBJECT_NAME
from annotations.spans import Span, overlapping_pairs
from annotations.text import InputError, text_problem


@dataclass
class Example:
    """One annotated sentence."""

    text: str
    spans: list[Span]
    article_id: str
    sentence_index: int
    task_id: Any = None
    source: str = ""


@dataclass
class ReadReport:
    examples: list[Example] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped_unannotated: int = 0


def task_location(source: str, task: Any, index: int) -> str:
    """How problems name a task: the file (or server) and the task id, else its position."""
    task_id = task.get("id", f"#{index}") if isinstance(task, dict) else f"#{index}"
    return f"{source}: task {task_id}"


def chosen_annotation(task: dict) -> dict | None:
    """The annotation that counts: not cancelled, most recently updated (see the module docstring)."""
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        return None
    annotations = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not annotations:
        return None
    return max(annotations, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), _number(a.get("id"))))


def _number(value: Any) -> float:
    """An annotation id for ordering: ids of another type (a string) sort first instead of failing."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("-inf")


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_task(task: Any, where: str, problems: list[str]) -> Example | None:
    """Validate one task; append every problem found to ``problems``."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        problems.append(f"{where}: not a task object with a 'data' object")
        return None
    data = task["data"]
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: data.text is missing or empty")
        return None
    if text_problem(text):
        problems.append(f"{where}: data.text: {text_problem(text)}")
        return None
    if unicodedata.normalize("NFC", text) != text:
        problems.append(f"{where}: data.text is not NFC; normalise before annotating (offsets would shift)")
        return None
    sentence_index, article_id = data.get("sentence_index", 0), data.get("article_id", "")
    if not (_integer(sentence_index) and sentence_index >= 0):
        problems.append(f"{where}: data.sentence_index must be a whole number of at least 0, not {sentence_index!r:.40}")
        return None
    if not (isinstance(article_id, str) or _integer(article_id)):
        problems.append(f"{where}: data.article_id must be a string or an integer, not {article_id!r:.40}")
        return None
    annotations = task.get("annotations")
    if annotations is not None and not (isinstance(annotations, list) and all(isinstance(a, dict) for a in annotations)):
        problems.append(f"{where}: 'annotations' must be a list of annotation objects")
        return None
    annotation = chosen_annotation(task)
    if annotation is None:
        return None
    spans: list[Span] = []
    results = annotation.get("result")
    if not isinstance(results, list):
        problems.append(f"{where}: annotation {annotation.get('id')} has no result list")
        return None
    for item in results:
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, dict) or item.get("type") != "labels":
            problems.append(
                f"{where}: result {item.get('id') if isinstance(item, dict) else item!r}"
                f" is not a 'labels' result (type {item.get('type') if isinstance(item, dict) else None!r})"
            )
            continue
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        place = f"{where}: span [{start}:{end}] {value.get('text')!r}"
        if not (_integer(start) and _integer(end) and 0 <= start < end <= len(text)):
            problems.append(f"{place}: offsets outside the text (length {len(text)})")
            continue
        if not isinstance(labels, list) or len(labels) != 1:
            problems.append(f"{place}: needs exactly one label, has {labels!r}")
            continue
        if not isinstance(labels[0], str) or labels[0] not in LABEL_NAMES:
            problems.append(f"{place}: unknown label {labels[0]!r}")
            continue
        if "text" in value and text[start:end] != value["text"]:
            problems.append(f"{place}: text at these offsets is {text[start:end]!r}")
            continue
        if text[start:end] != text[start:end].strip():
            problems.append(f"{place}: span starts or ends with whitespace")
            continue
        spans.append(Span(start, end, labels[0]))
    for first, second in overlapping_pairs(spans):
        problems.append(
            f"{where}: spans [{first.start}:{first.end}] {first.label} and [{second.start}:{second.end}] {second.label} overlap"
        )
    return Example(
        text=text,
        spans=sorted(spans),
        article_id=str(article_id),
        sentence_index=sentence_index,
        task_id=task.get("id"),
    )


def read_file(path: str | Path) -> ReadReport:
    """Read one export file and collect every problem (it does not stop at the first)."""
    path = Path(path)
    report = ReadReport()
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.problems.append(f"{path}: no such file")
        return report
    except IsADirectoryError:
        report.problems.append(f"{path}: is a folder, not a Label Studio export file")
        return report
    except OSError as error:
        report.problems.append(f"{path}: cannot read ({error.strerror or type(error).__name__})")
        return report
    except RecursionError:
        report.problems.append(f"{path}: not a UTF-8 JSON file (nested too deeply)")
        return report
    except ValueError as error:  # not UTF-8, not JSON, a number of thousands of digits
        report.problems.append(f"{path}: not a UTF-8 JSON file ({error})")
        return report
    if not isinstance(tasks, list):
        report.problems.append(f"{path}: expected a JSON list of tasks, found {type(tasks).__name__}")
        return report
    for index, task in enumerate(tasks):
        where = task_location(str(path), task, index)
        before = len(report.problems)
        example = check_task(task, where, report.problems)
        if example is None:
            if len(report.problems) == before:
                report.skipped_unannotated += 1
            continue
        if not example.article_id:
            example.article_id = f"{path.stem}:{example.task_id if example.task_id is not None else index}"
        example.source = str(path)
        report.examples.append(example)
    return report


def read_examples(paths: list[Path]) -> list[Example]:
    """Read gold examples; raise ``InputError`` listing every problem in every file."""
    examples: list[Example] = []
    problems: list[str] = []
    for path in paths:
        report = read_file(path)
        examples += report.examples
        problems += report.problems
    if problems:
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise InputError(f"{len(problems)} problem(s) in the annotation files:\n{shown}{more}")
    if not examples:
        names = ", ".join(str(path) for path in paths[:3]) + (", ..." if len(paths) > 3 else "")
        raise InputError(f"{names}: no annotated tasks (tasks without a finished annotation are not gold data)")
    return examples


def span_results(text: str, spans: list[Span], prefix: str = "s") -> list[dict]:
    """``result`` items for spans (with per-span ``score`` when the span has one)."""
    results = []
    for number, span in enumerate(spans):
        item: dict[str, Any] = {
            "id": f"{prefix}{number}",
            "from_name": CONTROL_NAME,
            "to_name": OBJECT_NAME,
            "type": "labels",
            "value": {"start": span.start, "end": span.end, "text": text[span.start : span.end], "labels": [span.label]},
        }
        if span.score is not None:
            item["score"] = round(float(span.score), 4)
        results.append(item)
    return results


def gold_task(task_id: int, example: Example) -> dict:
    """A task in Label Studio's export format holding one completed annotation."""
    return {
        "id": task_id,
        "data": {"text": example.text, "article_id": example.article_id, "sentence_index": example.sentence_index},
        "annotations": [{"id": task_id, "was_cancelled": False, "result": span_results(example.text, example.spans)}],
    }
