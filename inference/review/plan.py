"""Planning a push and summarising a pull: pure functions over task dicts (no server, no argparse)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from annotations.errors import InputError
from annotations.labelstudio import check_task, chosen_annotation, task_location
from annotations.spans import Span


def result_spans(result: Any) -> list[Span]:
    """The labelled spans of a ``result`` list (predictions or annotations); other items are ignored."""
    spans = []
    for item in result or []:
        if not isinstance(item, dict) or item.get("type") != "labels" or not isinstance(item.get("value"), dict):
            continue
        value = item["value"]
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        if isinstance(start, int) and isinstance(end, int) and isinstance(labels, list) and len(labels) == 1:
            spans.append(Span(start, end, str(labels[0])))
    return sorted(spans)


@dataclass
class SpanDiff:
    """Reviewer spans relative to the predicted spans of the same sentence."""

    kept: int = 0  # same offsets, same label
    relabelled: int = 0  # overlaps a predicted span, different label
    resized: int = 0  # overlaps a predicted span, same label, different offsets
    added: int = 0  # overlaps no predicted span
    deleted: int = 0  # predicted spans the reviewer removed

    @property
    def changed(self) -> int:
        return self.relabelled + self.resized

    def __add__(self, other: "SpanDiff") -> "SpanDiff":
        return SpanDiff(*(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__))


def compare_spans(predicted: list[Span], reviewed: list[Span]) -> SpanDiff:
    """Match reviewer spans to predicted ones: exact matches first, then by largest overlap."""
    diff = SpanDiff()
    unmatched = list(predicted)
    exact = {(span.start, span.end, span.label) for span in predicted}
    rest = []
    for span in reviewed:
        key = (span.start, span.end, span.label)
        twin = next((p for p in unmatched if (p.start, p.end, p.label) == key), None) if key in exact else None
        if twin is None:
            rest.append(span)
        else:
            unmatched.remove(twin)
            diff.kept += 1
    for span in rest:
        overlaps = [(min(span.end, p.end) - max(span.start, p.start), p) for p in unmatched]
        overlaps = [(size, p) for size, p in overlaps if size > 0]
        if not overlaps:
            diff.added += 1
            continue
        _, partner = max(overlaps, key=lambda pair: pair[0])
        unmatched.remove(partner)
        if partner.label != span.label:
            diff.relabelled += 1
        else:
            diff.resized += 1
    diff.deleted = len(unmatched)
    return diff


def baseline_prediction(task: dict, annotation: dict) -> dict | None:
    """The prediction the reviewer started from: the annotation's parent prediction,
    else the newest prediction of the task."""
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    parent = annotation.get("parent_prediction")
    if isinstance(annotation.get("prediction"), dict) and annotation["prediction"].get("result") is not None:
        embedded = annotation["prediction"]
        if parent is None or embedded.get("id") == parent:
            return embedded
    for prediction in predictions:
        if parent is not None and prediction.get("id") == parent:
            return prediction
    if not predictions:
        return None
    return max(predictions, key=lambda p: (str(p.get("created_at") or ""), p.get("id") or 0))


def existing_key(data: Any) -> str | None:
    """``data.task_key`` of a task, or the key computed from article id, sentence index and text."""
    from inference.tasks import task_key  # lazy: inference.tasks pulls in the tagger

    if not isinstance(data, dict):
        return None
    if isinstance(data.get("task_key"), str) and data["task_key"]:
        return data["task_key"]
    text, article, index = data.get("text"), data.get("article_id"), data.get("sentence_index")
    if isinstance(text, str) and article is not None and isinstance(index, int):
        return task_key(str(article), index, text)
    return None


@dataclass
class ExistingTask:
    id: int
    model_versions: set[str] = field(default_factory=set)


def index_tasks(tasks: list[dict]) -> dict[str, ExistingTask]:
    """Existing tasks of a project by key, with the model versions of their predictions."""
    index: dict[str, ExistingTask] = {}
    for task in tasks:
        key = existing_key(task.get("data"))
        if key is None:
            continue
        entry = index.setdefault(key, ExistingTask(task["id"]))
        entry.model_versions |= {
            str(p.get("model_version"))
            for p in task.get("predictions") or []
            if isinstance(p, dict) and p.get("model_version") is not None
        }
    return index


@dataclass
class PushPlan:
    create: list[dict] = field(default_factory=list)  # new tasks, least confident first
    predict: list[tuple[int, dict]] = field(default_factory=list)  # (existing task id, prediction)
    skipped: int = 0  # already there with a prediction of this model version


def plan_push(tasks: list[dict], existing: dict[str, ExistingTask], model_version: str) -> PushPlan:
    """Which tasks to create and which existing tasks get a prediction of ``model_version``."""
    plan = PushPlan()
    seen: set[str] = set()
    for task in tasks:
        key = task["data"]["task_key"]
        if key in seen:
            plan.skipped += 1
            continue
        seen.add(key)
        found = existing.get(key)
        if found is None:
            plan.create.append(task)
        elif model_version in found.model_versions:
            plan.skipped += 1
        else:
            plan.predict.append((found.id, task["predictions"][0]))
    return plan


def pulled_tasks(exported: Any) -> tuple[list[dict], int]:
    """Tasks of an export that carry a finished (not cancelled) annotation, in task id order,
    each once; and how many exported tasks were left out."""
    if not isinstance(exported, list):
        raise InputError(f"the export is not a list of tasks but {type(exported).__name__}")
    kept: dict[Any, dict] = {}
    dropped = 0
    for task in exported:
        if not isinstance(task, dict) or chosen_annotation(task) is None:
            dropped += 1
            continue
        if task.get("id") in kept:
            continue
        kept[task.get("id")] = task
    order = sorted(kept, key=lambda i: (0, i, "") if isinstance(i, int) else (1, 0, str(i)))
    return [kept[i] for i in order], dropped


def check_pulled(tasks: list[dict], source: str) -> list[str]:
    """Every problem ``bienphong validate`` would report for these tasks."""
    problems: list[str] = []
    for index, task in enumerate(tasks):
        check_task(task, task_location(source, task, index), problems)
    return problems


@dataclass
class PullSummary:
    tasks: int = 0
    labels: Counter = field(default_factory=Counter)
    diff: SpanDiff = field(default_factory=SpanDiff)
    without_prediction: int = 0  # tasks whose annotation had no prediction to compare with
    empty: int = 0  # annotations that say "no slots in this sentence"


def summarize(tasks: list[dict]) -> PullSummary:
    """Spans per label and how the reviewers' spans relate to the predictions they started from."""
    summary = PullSummary(tasks=len(tasks))
    for task in tasks:
        annotation = chosen_annotation(task)
        if annotation is None:
            continue
        reviewed = result_spans(annotation.get("result"))
        summary.labels.update(span.label for span in reviewed)
        summary.empty += not reviewed
        prediction = baseline_prediction(task, annotation)
        if prediction is None:
            summary.without_prediction += 1
        predicted = result_spans(prediction.get("result")) if prediction else []
        summary.diff = summary.diff + compare_spans(predicted, reviewed)
    return summary
