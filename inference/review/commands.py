"""``bienphong ls push`` and ``bienphong ls pull``: functions over plain values, and their argparse wiring.

Push creates the project (with ``annotations.schema.labeling_config_xml()``) when
it does not exist, updates its labeling config when it differs (refusing when an
existing annotation or draft uses a label the schema no longer has), and imports
one task per sentence with the model's spans as *predictions*, least confident
first. A sentence already in the project (same ``data.task_key``) is skipped or,
without a prediction of this model version, gets one. The project's
``model_version`` becomes the pushed one, so the labeling screen pre-annotates
with the newest model.

Pull exports the tasks with a finished annotation (predictions included), checks
every task as ``bienphong validate`` does, and only then writes the file,
atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations.errors import BienphongError, InputError
from annotations.schema import LABEL_NAMES, labeling_config_xml
from inference.options import DEFAULT_BATCH_SIZE, INPUT_HELP, check_output, positive_int
from inference.review.client import DEFAULT_URL, KEY_ENV, URL_ENV, Connection, Server, connection
from inference.review.compatibility import orphaned_labels, same_config, schema_differences
from inference.review.plan import PullSummary, check_pulled, index_tasks, plan_push, pulled_tasks, summarize

DEFAULT_PROJECT = "bienphong-review"
IMPORT_BATCH = 200  # tasks per import request
DESCRIPTION = "Sentences of Border Guard reports pre-annotated by bienphong-ie; least confident first."


@dataclass
class PushResult:
    project_id: int
    project_created: bool = False
    config_updated: bool = False
    created: int = 0
    skipped: int = 0
    predicted: int = 0
    sentences: int = 0  # tasks offered, least confident first
    model_version: str = ""


@dataclass
class PullResult:
    project_id: int
    summary: PullSummary = field(default_factory=PullSummary)
    dropped: int = 0  # exported tasks without a finished annotation


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
            raise BienphongError(
                f"project {title!r} has a different labeling config, and updating it to the current schema would"
                f" orphan existing annotations that use labels the schema no longer has: {listed}. Relabel or"
                f" delete those annotations in Label Studio, or push to a new project with --project NAME"
            )
    return project, tasks


def push_tasks(
    server: Server,
    title: str,
    project: dict | None,
    existing: list[dict],
    tasks: list[dict],
    model_version: str,
    progress: bool = True,
) -> PushResult:
    """Create or update the project, then import ``tasks`` (see ``plan_push``)."""
    from tqdm.auto import tqdm

    if project is None:
        project = server.create_project(title, labeling_config_xml(), DESCRIPTION)
        result = PushResult(project["id"], project_created=True)
    else:
        result = PushResult(project["id"])
        if not same_config(project.get("label_config")):
            server.update_project(project["id"], f"updating the labeling config of {title!r}", label_config=labeling_config_xml())
            result.config_updated = True
    result.sentences, result.model_version = len(tasks), model_version
    plan = plan_push(tasks, index_tasks(existing), model_version)
    result.skipped = plan.skipped
    with tqdm(
        total=len(plan.create), desc="importing", unit="task", disable=not progress or len(plan.create) <= IMPORT_BATCH
    ) as bar:
        for start in range(0, len(plan.create), IMPORT_BATCH):
            batch = plan.create[start : start + IMPORT_BATCH]
            server.import_batch(project["id"], batch)
            result.created += len(batch)
            bar.update(len(batch))
    for task_id, prediction in tqdm(
        plan.predict, desc="predictions", unit="task", disable=not progress or len(plan.predict) <= IMPORT_BATCH
    ):
        server.add_prediction(task_id, prediction)
        result.predicted += 1
    # Pre-annotate with the newest model (the server accepts a version only once predictions have it).
    if tasks and project.get("model_version") != model_version:
        server.update_project(project["id"], f"setting the model version of {title!r}", model_version=model_version)
    return result


def push(
    conn: Connection,
    model: Path,
    inputs: list[str],
    project: str = DEFAULT_PROJECT,
    limit: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
) -> PushResult:
    """Tag ``inputs`` with ``model`` and push one task per sentence to project ``project``."""
    from inference.extract import tag_inputs
    from inference.tasks import review_tasks

    if limit is not None and limit < 1:
        raise BienphongError(f"the limit must be at least 1, not {limit}")
    server = Server(conn)
    found, existing = prepare_push(server, project)  # before the model loads: server problems fail fast
    extractor, tagged = tag_inputs(model, inputs, batch_size, progress=progress)
    tasks = review_tasks(tagged, extractor.model_version, limit)
    return push_tasks(server, project, found, existing, tasks, extractor.model_version, progress=progress)


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
        raise InputError(
            f"{len(problems)} problem(s) in the reviewed tasks; fix them in Label Studio and pull"
            f" again ({output} was not written):\n{shown}{more}"
        )
    write_json(output, tasks)
    return summarize(tasks), dropped


def pull(conn: Connection, output: Path, project: str = DEFAULT_PROJECT) -> PullResult:
    """Write the finished annotations of project ``project`` to ``output``."""
    server = Server(conn)
    server.check()
    found = server.find_project(project)
    if found is None:
        titles = ", ".join(repr(t) for t in server.project_titles()) or "none"
        raise BienphongError(
            f"no project named {project!r} on {conn.shown_url} (projects there: {titles});"
            " push tasks first with `bienphong ls push` or pass --project NAME"
        )
    differences = schema_differences(found.get("label_config") or "")
    if differences:
        raise BienphongError(
            f"project {project!r} does not use the current labeling schema ("
            f"{'; '.join(differences)}); run `bienphong ls push` to update its config, then"
            " review the affected tasks again"
        )
    summary, dropped = write_pull(server.export(found["id"]), output)
    return PullResult(found["id"], summary, dropped)


# --------------------------------------------------------------------------- argparse


def _connection(args) -> Connection:
    return connection(
        args.url,
        args.api_key,
        tries=args.tries,
        backoff=args.backoff,
        connect_timeout=args.connect_timeout,
        read_timeout=args.read_timeout,
    )


def _push(args) -> int:
    conn = _connection(args)
    result = push(conn, args.model, args.inputs, args.project, args.limit, args.batch_size, progress=not args.quiet)
    state = "created" if result.project_created else ("labeling config updated" if result.config_updated else "existing")
    print(f"project {args.project!r} (id {result.project_id}, {state}) at {conn.shown_url}")
    print(
        f"model version {result.model_version}: {result.sentences} sentences (least confident first):"
        f" {result.created} tasks created, {result.skipped} skipped (already there),"
        f" {result.predicted} existing tasks got a new prediction"
    )
    return 0


def _pull(args) -> int:
    check_output(args.output, [])  # before the server is asked for anything
    result = pull(_connection(args), args.output, args.project)
    summary, dropped = result.summary, result.dropped
    print(
        f"{summary.tasks} annotated tasks from project {args.project!r} written to {args.output}"
        + (f" ({dropped} exported tasks without a finished annotation left out)" if dropped else "")
    )
    labels = ", ".join(f"{label} {summary.labels[label]}" for label in LABEL_NAMES if summary.labels[label])
    print(f"{sum(summary.labels.values())} spans: {labels or 'none'}; {summary.empty} sentences marked as without slots")
    diff = summary.diff
    print(
        f"against the model's predictions: {diff.kept} kept, {diff.changed} changed ({diff.relabelled} relabelled,"
        f" {diff.resized} resized), {diff.added} added; {diff.deleted} predicted spans deleted"
        + (f" ({summary.without_prediction} tasks had no prediction)" if summary.without_prediction else "")
    )
    return 0


def add_commands(commands) -> None:
    """Register ``ls push`` and ``ls pull`` on ``commands`` (an ``add_subparsers()`` result)."""
    ls = commands.add_parser(
        "ls",
        help="review in a running Label Studio server: push tasks, pull annotations",
        description="Review in a running Label Studio server (see docs/reviewing.md). The URL"
        f" and API key come from {URL_ENV} and {KEY_ENV}, or --url / --api-key.",
    )
    actions = ls.add_subparsers(dest="ls_command", required=True, metavar="ACTION")

    def server_options(sub):
        sub.add_argument("--project", default=DEFAULT_PROJECT, help=f"project title (default {DEFAULT_PROJECT})")
        sub.add_argument("--url", help=f"server URL (default ${URL_ENV}, else {DEFAULT_URL})")
        sub.add_argument("--api-key", help=f"API key (default ${KEY_ENV}; prefer the variable: a flag shows in ps)")
        sub.add_argument("--tries", type=int, default=4, help="attempts per request on connection errors and 5xx")
        sub.add_argument("--backoff", type=float, default=1.0, help="seconds before the first retry; doubles each time")
        sub.add_argument("--connect-timeout", type=float, default=10.0, help="seconds to connect (default 10)")
        sub.add_argument("--read-timeout", type=float, default=120.0, help="seconds to wait for each answer (default 120)")

    push_parser = actions.add_parser(
        "push",
        help="import pre-annotated sentences as tasks (no duplicates)",
        description="Tag the articles and import one task per sentence, least confident"
        " first, with the model's spans as predictions. Sentences already in"
        " the project are skipped or get a prediction of the new model version.",
    )
    push_parser.add_argument("--model", required=True, type=Path, help="trained model directory")
    push_parser.add_argument("inputs", nargs="+", metavar="INPUT", help=INPUT_HELP)
    push_parser.add_argument("--limit", type=positive_int, help="push only the N least confident sentences")
    push_parser.add_argument("--batch-size", type=positive_int, default=DEFAULT_BATCH_SIZE)
    push_parser.add_argument("--quiet", action="store_true", help="no progress bars")
    server_options(push_parser)
    push_parser.set_defaults(run=_push)

    pull_parser = actions.add_parser(
        "pull",
        help="export the finished annotations to a Label Studio JSON file",
        description="Export the tasks with a finished annotation through an export"
        " snapshot and write them (atomically) as a file `bienphong validate`"
        " accepts.",
    )
    pull_parser.add_argument("--output", required=True, type=Path, help="e.g. annotations/incoming/review-01.json")
    server_options(pull_parser)
    pull_parser.set_defaults(run=_pull)
