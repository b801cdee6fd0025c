"""The review loop against a running Label Studio server: push model output, pull corrections.

    bienphong ls push --model DIR INPUT... [--project NAME] [--limit N]
    bienphong ls pull [--project NAME] --output annotations/incoming/FILE.json

The server URL and API key come from ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``
or ``--url`` / ``--api-key``. The key is sent to the server and nowhere else: it is
never printed, logged or written, and it is removed from every error message.

Push creates the project (with ``annotations.schema.labeling_config_xml()``) when
it does not exist, updates its labeling config when it differs (refusing when an
existing annotation or draft uses a label the schema no longer has), and imports
one task per sentence with the model's spans as *predictions*, least confident
first. Tasks are identified by ``data.task_key``; a sentence already in the
project is skipped, or, when it has no prediction of this model version yet,
gets one through the predictions API. The project's ``model_version`` is set to
the pushed version, so the labeling screen pre-annotates with the newest model.

Pull asks for an export snapshot of the tasks that have a finished annotation
(full predictions included), keeps the tasks whose annotation counts under the
policy of ``annotations.labelstudio`` (not cancelled), checks every task exactly
as ``bienphong validate`` does, and only then writes the file, atomically. It
reports spans per label and how the reviewers' spans relate to the prediction
they started from (kept, changed, added; predicted spans deleted).

Connection errors, timeouts and HTTP 5xx/429 are retried with exponential
backoff; a retried write first checks whether the failed attempt took effect,
so retries never duplicate projects, tasks or predictions.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from annotations.labelstudio import check_task, chosen_annotation, task_location
from annotations.schema import CONTROL_NAME, LABEL_NAMES, OBJECT_NAME, labeling_config_xml
from annotations.spans import Span
from annotations.text import InputError

DEFAULT_PROJECT = "bienphong-review"
DEFAULT_URL = "http://localhost:8080"
URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"
IMPORT_BATCH = 200  # tasks per import request

# --------------------------------------------------------------------------- mapping (no server)


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
    from inference.tasks import task_key

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
        entry.model_versions |= {str(p.get("model_version")) for p in task.get("predictions") or []
                                 if isinstance(p, dict) and p.get("model_version") is not None}
    return index


@dataclass
class PushPlan:
    create: list[dict] = field(default_factory=list)  # new tasks, least confident first
    predict: list[tuple[int, dict]] = field(default_factory=list)  # (existing task id, prediction)
    skipped: int = 0  # already there with a prediction of this model version


def plan_push(tasks: list[dict], existing: dict[str, ExistingTask], model_version: str) -> PushPlan:
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
    return (config or "").strip() == labeling_config_xml().strip()


def schema_differences(config: str) -> list[str]:
    """How a project's labeling config differs from the schema, in words (empty: compatible)."""
    labels = config_labels(config)
    if not labels:
        return [f"it has no <Labels name=\"{CONTROL_NAME}\" toName=\"{OBJECT_NAME}\"> control"]
    problems = []
    extra = [label for label in labels if label not in LABEL_NAMES]
    missing = [label for label in LABEL_NAMES if label not in labels]
    if extra:
        problems.append(f"labels not in the schema: {', '.join(extra)}")
    if missing:
        problems.append(f"schema labels missing from the project: {', '.join(missing)}")
    return problems


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


# --------------------------------------------------------------------------- server access


@dataclass
class Connection:
    url: str
    api_key: str = field(repr=False)
    tries: int = 4  # attempts per request for transient failures
    backoff: float = 1.0  # seconds before the second attempt; doubles each time
    timeout: float = 120.0

    def redact(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text


def connection(args: argparse.Namespace) -> Connection:
    url = args.url or os.environ.get(URL_ENV) or DEFAULT_URL
    key = args.api_key or os.environ.get(KEY_ENV)
    if not key:
        raise InputError(f"no Label Studio API key: set {KEY_ENV} (or pass --api-key); the key is under"
                         " Account & Settings -> Access Token in the Label Studio web page")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"Label Studio URL {url!r} must start with http:// or https://")
    if args.tries < 1:
        raise InputError("--tries must be at least 1")
    return Connection(url.rstrip("/"), key, tries=args.tries, backoff=args.backoff)


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        parts = [body.get("detail"), body.get("validation_errors")]
        parts = [part if isinstance(part, str) else json.dumps(part, ensure_ascii=False) for part in parts if part]
        text = ": ".join(parts) or json.dumps(body, ensure_ascii=False)
    else:
        text = str(body or "").strip()
        if text.lstrip().startswith("<"):
            text = "an HTML page"
    return text if len(text) <= 300 else text[:300] + "..."


class Server:
    """A Label Studio server reached through the SDK, with retries and one-line errors."""

    task_page = 500  # tasks per page when listing a project

    def __init__(self, conn: Connection, httpx_client=None, sleep: Callable[[float], None] = time.sleep):
        import httpx
        from label_studio_sdk import LabelStudio
        from label_studio_sdk.core.api_error import ApiError

        self.conn = conn
        self.sleep = sleep
        self._httpx = httpx
        self._api_error = ApiError
        client = httpx_client or httpx.Client(timeout=conn.timeout, follow_redirects=True)
        try:
            # SDK retries are off: ours re-check before repeating a write.
            self.client = LabelStudio(base_url=conn.url, api_key=conn.api_key, max_retries=0,
                                      timeout=conn.timeout, httpx_client=client)
        except ApiError as error:  # an expired or malformed personal access token
            raise self._error("connecting", error) from None

    # -- retries and errors

    def _transient(self, error: BaseException) -> bool:
        httpx = self._httpx
        if isinstance(error, self._api_error):
            return error.status_code is not None and (error.status_code >= 500 or error.status_code in (408, 429))
        return isinstance(error, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))

    def _error(self, what: str, error: BaseException, tries: int = 1, missing: str | None = None) -> InputError:
        url = self.conn.url
        attempts = f" after {tries} tries" if tries > 1 else ""
        if isinstance(error, self._api_error):
            status, detail = error.status_code, _detail(error.body)
            if status in (401, 403):
                message = (f"Label Studio at {url} refused the API key (HTTP {status}: {detail}); set {KEY_ENV}"
                           " (or --api-key) to the token under Account & Settings -> Access Token")
            elif status is None or status < 400:
                message = f"{what}: unexpected answer from {url} ({detail}); is this a Label Studio server?"
            elif status == 404 and missing:
                message = missing
            else:
                message = f"{what}: Label Studio at {url} answered HTTP {status}{attempts}: {detail}"
        elif isinstance(error, (self._httpx.ConnectError, self._httpx.ConnectTimeout)):
            message = (f"cannot reach Label Studio at {url}{attempts} ({error or type(error).__name__}); start the"
                       f" server (docs/reviewing.md) or set {URL_ENV} / --url")
        elif isinstance(error, self._httpx.HTTPError):
            message = f"{what}: request to Label Studio at {url} failed{attempts} ({type(error).__name__}: {error})"
        else:
            message = f"{what}: {type(error).__name__}: {error}"
        return InputError(self.conn.redact(message))

    def call(self, what: str, action: Callable[[], Any], recheck: Callable[[], Any] | None = None,
             missing: str | None = None) -> Any:
        """Run ``action``; retry transient failures with exponential backoff.

        Before a retry, ``recheck`` (if given) looks whether the failed attempt took
        effect after all; a result other than ``None`` is returned instead of retrying.
        ``missing`` is the message for an HTTP 404."""
        tries = self.conn.tries
        for attempt in range(tries):
            if attempt:
                self.sleep(self.conn.backoff * 2 ** (attempt - 1))
            try:
                if attempt and recheck is not None:
                    done = recheck()
                    if done is not None:
                        return done
                return action()
            except (self._api_error, self._httpx.HTTPError) as error:
                if not self._transient(error) or attempt == tries - 1:
                    raise self._error(what, error, attempt + 1, missing) from None

    # -- reading

    @staticmethod
    def _plain(item: Any) -> Any:
        return item.model_dump(mode="json", by_alias=True) if hasattr(item, "model_dump") else item

    def check(self) -> dict:
        """Fails clearly when the server is unreachable or refuses the key."""
        return self._plain(self.call("checking the API key", lambda: self.client.users.whoami(), missing=(
            f"no Label Studio API at {self.conn.url} (HTTP 404 for /api/current-user/whoami); check {URL_ENV} / --url")))

    def find_project(self, title: str) -> dict | None:
        def find():
            matches = [self._plain(p) for p in self.client.projects.list(title=title, page_size=100)]
            exact = [p for p in matches if p.get("title") == title]
            if len(exact) > 1:
                ids = ", ".join(str(p["id"]) for p in exact)
                raise InputError(f"{len(exact)} projects are named {title!r} (ids {ids}); rename all but one")
            return exact[0] if exact else None

        found = self.call(f"looking up project {title!r}", find)
        if found is None:
            return None
        return self._plain(self.call(f"reading project {title!r}", lambda: self.client.projects.get(id=found["id"])))

    def project_titles(self) -> list[str]:
        return [self._plain(p).get("title") for p in self.call("listing projects", lambda: list(self.client.projects.list(page_size=100)))]

    def _all_tasks(self, project_id: int) -> list[dict]:
        """Every task of a project with its annotations, drafts and predictions, page by page
        (up to the reported total: the server answers 404 past the last page)."""
        tasks: list[dict] = []
        page = 1
        while True:
            pager = self.client.tasks.list(project=project_id, fields="all", page=page, page_size=self.task_page)
            items = [self._plain(t) for t in pager.items or []]
            tasks += items
            total = getattr(pager.response, "total", None)
            if not items or (isinstance(total, int) and len(tasks) >= total):
                return tasks
            page += 1

    def list_tasks(self, project_id: int) -> list[dict]:
        return self.call("listing tasks", lambda: self._all_tasks(project_id))

    def _keys(self, project_id: int) -> dict[str, ExistingTask]:
        return index_tasks(self._all_tasks(project_id))

    # -- writing

    def create_project(self, title: str) -> dict:
        def recheck():
            matches = [self._plain(p) for p in self.client.projects.list(title=title, page_size=100)]
            return next((p for p in matches if p.get("title") == title), None)

        return self._plain(self.call(f"creating project {title!r}", lambda: self.client.projects.create(
            title=title, label_config=labeling_config_xml(),
            description="Sentences of Border Guard reports pre-annotated by bienphong-ie; least confident first.",
        ), recheck=recheck))

    def update_project(self, project_id: int, what: str, **fields) -> None:
        self.call(what, lambda: self.client.projects.update(id=project_id, **fields))

    def import_batch(self, project_id: int, batch: list[dict]) -> None:
        pending = list(batch)

        def recheck():  # keep only the tasks the failed attempt did not create
            present = self._keys(project_id)
            pending[:] = [task for task in pending if task["data"]["task_key"] not in present]
            return True if not pending else None

        self.call("importing tasks", lambda: self.client.projects.import_tasks(
            id=project_id, request=pending, return_task_ids=True), recheck=recheck)

    def add_prediction(self, task_id: int, prediction: dict) -> None:
        version = prediction["model_version"]

        def recheck():
            task = self._plain(self.client.tasks.get(id=task_id))
            versions = {p.get("model_version") for p in task.get("predictions") or [] if isinstance(p, dict)}
            return True if version in versions else None

        self.call(f"adding a prediction to task {task_id}", lambda: self.client.predictions.create(
            task=task_id, result=prediction["result"], score=prediction.get("score"), model_version=version),
            recheck=recheck)

    def export(self, project_id: int, wait: float = 300.0) -> Any:
        """Annotated tasks of a project, through an export snapshot (deleted afterwards)."""
        exports = self.client.projects.exports
        snapshot = self.call("creating an export snapshot", lambda: exports.create(
            id=project_id, title="bienphong ls pull",
            task_filter_options={"annotated": "only"},
            annotation_filter_options={"usual": True, "ground_truth": True},
            serialization_options={"predictions": {"only_id": False}},
        ))
        try:
            deadline = time.monotonic() + wait
            while snapshot.status != "completed":
                if snapshot.status == "failed":
                    raise InputError(f"Label Studio at {self.conn.url} could not build the export snapshot"
                                     f" {snapshot.id} of project {project_id}; see the server log")
                if time.monotonic() > deadline:
                    raise InputError(f"the export snapshot {snapshot.id} was not ready after {wait:.0f} s"
                                     f" (status {snapshot.status!r}); try again later")
                self.sleep(0.5)
                snapshot = self.call("waiting for the export snapshot",
                                     lambda: exports.get(id=project_id, export_pk=snapshot.id))
            raw = self.call("downloading the export", lambda: b"".join(
                exports.download(id=project_id, export_pk=snapshot.id, export_type="JSON")))
        finally:
            try:
                exports.delete(id=project_id, export_pk=snapshot.id)
            except Exception:  # noqa: BLE001 - a leftover snapshot is harmless
                pass
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"the export from {self.conn.url} is not JSON ({error})") from None


# --------------------------------------------------------------------------- the two commands


@dataclass
class PushResult:
    project_id: int
    project_created: bool = False
    config_updated: bool = False
    created: int = 0
    skipped: int = 0
    predicted: int = 0


def prepare_push(server: Server, title: str) -> tuple[dict | None, list[dict]]:
    """Read-only checks before the model runs: the project (or None) and its tasks.
    Refuses a config update that would orphan annotations."""
    server.check()
    project = server.find_project(title)
    if project is None:
        return None, []
    tasks = server.list_tasks(project["id"])
    if not same_config(project.get("label_config")):
        orphans = orphaned_labels(tasks)
        if orphans:
            listed = ", ".join(f"{label} ({count})" for label, count in sorted(orphans.items()))
            raise InputError(
                f"project {title!r} has a different labeling config, and updating it to the current schema would"
                f" orphan existing annotations that use labels the schema no longer has: {listed}. Relabel or"
                f" delete those annotations in Label Studio, or push to a new project with --project NAME")
    return project, tasks


def push_tasks(server: Server, title: str, project: dict | None, existing: list[dict], tasks: list[dict],
               model_version: str, progress: bool = True) -> PushResult:
    from tqdm.auto import tqdm

    if project is None:
        project = server.create_project(title)
        result = PushResult(project["id"], project_created=True)
    else:
        result = PushResult(project["id"])
        if not same_config(project.get("label_config")):
            server.update_project(project["id"], f"updating the labeling config of {title!r}",
                                  label_config=labeling_config_xml())
            result.config_updated = True
    plan = plan_push(tasks, index_tasks(existing), model_version)
    result.skipped = plan.skipped
    with tqdm(total=len(plan.create), desc="importing", unit="task",
              disable=not progress or len(plan.create) <= IMPORT_BATCH) as bar:
        for start in range(0, len(plan.create), IMPORT_BATCH):
            batch = plan.create[start:start + IMPORT_BATCH]
            server.import_batch(project["id"], batch)
            result.created += len(batch)
            bar.update(len(batch))
    for task_id, prediction in tqdm(plan.predict, desc="predictions", unit="task",
                                    disable=not progress or len(plan.predict) <= IMPORT_BATCH):
        server.add_prediction(task_id, prediction)
        result.predicted += 1
    # Pre-annotate with the newest model (the server accepts a version only once predictions have it).
    if tasks and project.get("model_version") != model_version:
        server.update_project(project["id"], f"setting the model version of {title!r}", model_version=model_version)
    return result


def _push(args) -> int:
    from inference.extract import tag_inputs
    from inference.tasks import review_tasks

    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    server = Server(connection(args))
    project, existing = prepare_push(server, args.project)
    tagger, tagged = tag_inputs(args.model, args.inputs, args.batch_size, progress=not args.quiet)
    tasks = review_tasks(tagged, tagger.model_version, args.limit)
    result = push_tasks(server, args.project, project, existing, tasks, tagger.model_version, progress=not args.quiet)
    state = "created" if result.project_created else ("labeling config updated" if result.config_updated else "existing")
    print(f"project {args.project!r} (id {result.project_id}, {state}) at {server.conn.url}")
    print(f"model version {tagger.model_version}: {len(tasks)} sentences (least confident first):"
          f" {result.created} tasks created, {result.skipped} skipped (already there),"
          f" {result.predicted} existing tasks got a new prediction")
    return 0


def write_pull(exported: Any, output: Path) -> tuple[PullSummary, int]:
    """Check and write the annotated tasks of an export; nothing is written when a task has a problem."""
    from annotations.io import write_json

    tasks, dropped = pulled_tasks(exported)
    if not tasks:
        raise InputError(f"no finished annotations in the project yet; {output} was not written")
    problems = check_pulled(tasks, "Label Studio")
    if problems:
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise InputError(f"{len(problems)} problem(s) in the reviewed tasks; fix them in Label Studio and pull"
                         f" again ({output} was not written):\n{shown}{more}")
    write_json(output, tasks)
    return summarize(tasks), dropped


def _pull(args) -> int:
    server = Server(connection(args))
    server.check()
    project = server.find_project(args.project)
    if project is None:
        titles = ", ".join(repr(t) for t in server.project_titles()) or "none"
        raise InputError(f"no project named {args.project!r} on {server.conn.url} (projects there: {titles});"
                         " push tasks first with `bienphong ls push` or pass --project NAME")
    differences = schema_differences(project.get("label_config") or "")
    if differences:
        raise InputError(f"project {args.project!r} does not use the current labeling schema ("
                         f"{'; '.join(differences)}); run `bienphong ls push` to update its config, then review"
                         " the affected tasks again")
    summary, dropped = write_pull(server.export(project["id"]), args.output)
    print(f"{summary.tasks} annotated tasks from project {args.project!r} written to {args.output}"
          + (f" ({dropped} exported tasks without a finished annotation left out)" if dropped else ""))
    labels = ", ".join(f"{label} {summary.labels[label]}" for label in LABEL_NAMES if summary.labels[label])
    print(f"{sum(summary.labels.values())} spans: {labels or 'none'}; {summary.empty} sentences marked as without slots")
    diff = summary.diff
    print(f"against the model's predictions: {diff.kept} kept, {diff.changed} changed ({diff.relabelled} relabelled,"
          f" {diff.resized} resized), {diff.added} added; {diff.deleted} predicted spans deleted"
          + (f" ({summary.without_prediction} tasks had no prediction)" if summary.without_prediction else ""))
    return 0


def add_commands(commands) -> None:
    """``bienphong ls push`` and ``bienphong ls pull`` (called from ``inference.cli.build_parser``)."""
    from inference.cli import INPUT_HELP

    ls = commands.add_parser("ls", help="review in a running Label Studio server: push tasks, pull annotations",
                             description="Review in a running Label Studio server (see docs/reviewing.md). The URL"
                                         f" and API key come from {URL_ENV} and {KEY_ENV}, or --url / --api-key.")
    actions = ls.add_subparsers(dest="ls_command", required=True, metavar="ACTION")

    def server_options(sub):
        sub.add_argument("--project", default=DEFAULT_PROJECT, help=f"project title (default {DEFAULT_PROJECT})")
        sub.add_argument("--url", help=f"server URL (default ${URL_ENV}, else {DEFAULT_URL})")
        sub.add_argument("--api-key", help=f"API key (default ${KEY_ENV}; prefer the variable: a flag shows in ps)")
        sub.add_argument("--tries", type=int, default=4, help="attempts per request on connection errors and 5xx")
        sub.add_argument("--backoff", type=float, default=1.0, help="seconds before the first retry; doubles each time")

    push = actions.add_parser("push", help="import pre-annotated sentences as tasks (no duplicates)",
                              description="Tag the articles and import one task per sentence, least confident"
                                          " first, with the model's spans as predictions. Sentences already in the"
                                          " project are skipped or get a prediction of the new model version.")
    push.add_argument("--model", required=True, type=Path, help="trained model directory")
    push.add_argument("inputs", nargs="+", metavar="INPUT", help=INPUT_HELP)
    push.add_argument("--limit", type=int, help="push only the N least confident sentences")
    push.add_argument("--batch-size", type=int, default=32)
    push.add_argument("--quiet", action="store_true", help="no progress bars")
    server_options(push)
    push.set_defaults(run=_push)

    pull = actions.add_parser("pull", help="export the finished annotations to a Label Studio JSON file",
                              description="Export the tasks with a finished annotation through an export snapshot"
                                          " and write them (atomically) as a file `bienphong validate` accepts.")
    pull.add_argument("--output", required=True, type=Path, help="e.g. annotations/incoming/review-01.json")
    server_options(pull)
    pull.set_defaults(run=_pull)
