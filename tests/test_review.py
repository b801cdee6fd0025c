"""The review mapping code and the server wrapper, without a server (hand-made and recorded responses)."""

from __future__ import annotations

import argparse
import copy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from annotations.errors import BienphongError, InputError
from annotations.labelstudio import chosen_annotation, read_file
from annotations.schema import labeling_config_xml
from annotations.spans import Span
from inference.review import add_commands
from inference.review.client import Connection, Server, connection
from inference.review.commands import push_tasks, write_pull
from inference.review.compatibility import config_labels, orphaned_labels, schema_differences
from inference.review.plan import (
    ExistingTask,
    SpanDiff,
    baseline_prediction,
    compare_spans,
    existing_key,
    index_tasks,
    plan_push,
    pulled_tasks,
    result_spans,
    summarize,
)
from inference.tasks import task_key

TEXT = "Đồn Biên phòng Hải Hà bắt giữ 2 đối tượng, thu 0,5 kg ma túy đá."


def item(start: int, end: int, label: str, text: str = TEXT, ident: str = "r", **extra) -> dict:
    return {
        "id": ident,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
        **extra,
    }


# One task as Label Studio 1.23.2 exported it (snapshot API, full predictions), trimmed of
# bookkeeping fields: two predictions (an older and a newer model), one annotation made from the newer.
RECORDED_TASK = {
    "id": 5,
    "annotations": [
        {
            "id": 3,
            "completed_by": 1,
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": "2026-11-21T06:52:10.101010Z",
            "updated_at": "2026-11-21T06:52:10.101050Z",
            "result": [
                item(0, 21, "ORGANIZATION", ident="s0"),
                item(30, 41, "PERSONNEL_COUNT", ident="s1"),  # was SUSPECT_COUNT
                item(57, 63, "DRUG_TYPE", ident="added"),
            ],
            "prediction": {
                "id": 9,
                "model_version": "m@2",
                "score": 0.41,
                "result": [
                    item(0, 21, "ORGANIZATION", ident="s0", score=0.9),
                    item(30, 41, "SUSPECT_COUNT", ident="s1", score=0.5),
                    item(47, 53, "DRUG_AMOUNT", ident="s2", score=0.4),
                ],
            },
            "parent_prediction": 9,
            "parent_annotation": None,
            "task": 5,
            "project": 2,
        }
    ],
    "drafts": [],
    "predictions": [
        {
            "id": 4,
            "model_version": "m@1",
            "score": 0.2,
            "result": [],
            "created_at": "2026-11-21T06:49:13.000000Z",
            "task": 5,
            "project": 2,
        },
        {
            "id": 9,
            "model_version": "m@2",
            "score": 0.41,
            "created_at": "2026-11-21T06:50:01.000000Z",
            "result": [
                item(0, 21, "ORGANIZATION", ident="s0", score=0.9),
                item(30, 41, "SUSPECT_COUNT", ident="s1", score=0.5),
                item(47, 53, "DRUG_AMOUNT", ident="s2", score=0.4),
            ],
            "task": 5,
            "project": 2,
        },
    ],
    "data": {"text": TEXT, "article_id": "001_x", "sentence_index": 3, "task_key": task_key("001_x", 3, TEXT)},
    "meta": {},
    "created_at": "2026-11-21T06:49:40.000000Z",
    "inner_id": 5,
    "total_annotations": 1,
    "cancelled_annotations": 0,
    "total_predictions": 2,
    "project": 2,
}


def test_recorded_offsets_fit_the_text():
    for result in (RECORDED_TASK["annotations"][0]["result"], RECORDED_TASK["predictions"][1]["result"]):
        for entry in result:
            value = entry["value"]
            assert TEXT[value["start"] : value["end"]] == value["text"] == value["text"].strip()


# ---------------------------------------------------------------- comparing reviewer spans with predictions


def test_compare_spans_counts_each_kind_of_edit():
    predicted = [Span(0, 5, "ORGANIZATION"), Span(10, 15, "LOCATION"), Span(20, 25, "TIME"), Span(30, 35, "MONEY")]
    reviewed = [
        Span(0, 5, "ORGANIZATION"),  # kept
        Span(10, 15, "ORGANIZATION"),  # relabelled
        Span(20, 27, "TIME"),  # resized
        Span(40, 45, "CASE_COUNT"),  # added; MONEY 30-35 deleted
    ]
    assert compare_spans(predicted, reviewed) == SpanDiff(kept=1, relabelled=1, resized=1, added=1, deleted=1)


def test_compare_spans_edge_cases():
    assert compare_spans([], []) == SpanDiff()
    assert compare_spans([], [Span(0, 3, "TIME")]) == SpanDiff(added=1)
    assert compare_spans([Span(0, 3, "TIME")], []) == SpanDiff(deleted=1)
    # one predicted span split in two by the reviewer: one change, one addition
    assert compare_spans([Span(0, 10, "ORGANIZATION")], [Span(0, 4, "ORGANIZATION"), Span(5, 10, "LOCATION")]) == SpanDiff(
        resized=1, added=1
    )
    # an exact match is never used up by an earlier overlapping span
    diff = compare_spans([Span(0, 4, "TIME"), Span(4, 8, "TIME")], [Span(0, 6, "TIME"), Span(4, 8, "TIME")])
    assert diff == SpanDiff(kept=1, resized=1)
    total = SpanDiff(kept=1) + SpanDiff(added=2, deleted=1)
    assert (total.kept, total.added, total.deleted, total.changed) == (1, 2, 1, 0)


def test_result_spans_reads_labels_items_only():
    result = [
        item(0, 3, "TIME"),
        {"type": "choices", "value": {"choices": ["x"]}},
        "junk",
        {"type": "labels", "value": {"start": 1, "end": 2, "labels": ["A", "B"]}},
    ]
    assert result_spans(result) == [Span(0, 3, "TIME")]
    assert result_spans(None) == []


def test_chosen_annotation_follows_the_corpus_policy():
    task = {
        "annotations": [
            {"id": 1, "was_cancelled": False, "updated_at": "2026-01-02T00:00:00Z", "result": []},
            {"id": 2, "was_cancelled": False, "updated_at": "2026-01-03T00:00:00Z", "result": [item(0, 3, "TIME")]},
            {"id": 3, "was_cancelled": True, "updated_at": "2026-01-04T00:00:00Z", "result": []},
        ]
    }
    assert chosen_annotation(task)["id"] == 2
    assert chosen_annotation({"annotations": [{"id": 1, "was_cancelled": True}]}) is None
    assert chosen_annotation({"annotations": []}) is None


def test_baseline_is_the_parent_prediction_else_the_newest():
    task = copy.deepcopy(RECORDED_TASK)
    annotation = task["annotations"][0]
    assert baseline_prediction(task, annotation)["id"] == 9
    annotation.pop("prediction")
    annotation["parent_prediction"] = 4
    assert baseline_prediction(task, annotation)["id"] == 4
    annotation["parent_prediction"] = None
    assert baseline_prediction(task, annotation)["model_version"] == "m@2"  # newest
    assert baseline_prediction({"predictions": []}, annotation) is None


def test_summary_of_the_recorded_export():
    summary = summarize([RECORDED_TASK])
    assert summary.tasks == 1
    assert summary.labels == {"ORGANIZATION": 1, "PERSONNEL_COUNT": 1, "DRUG_TYPE": 1}
    assert summary.diff == SpanDiff(kept=1, relabelled=1, added=1, deleted=1)
    assert summary.without_prediction == 0 and summary.empty == 0


# ---------------------------------------------------------------- export -> file


def test_pulled_tasks_keep_finished_annotations_once_in_id_order():
    unannotated = {"id": 7, "data": {"text": "Câu."}, "annotations": []}
    skipped = {"id": 6, "data": {"text": "Câu."}, "annotations": [{"id": 4, "was_cancelled": True, "result": []}]}
    empty = {
        "id": 2,
        "data": {"text": "Không có gì.", "article_id": "a", "sentence_index": 0},
        "annotations": [{"id": 5, "was_cancelled": False, "result": []}],
    }
    tasks, dropped = pulled_tasks([RECORDED_TASK, unannotated, skipped, empty, RECORDED_TASK])
    assert [t["id"] for t in tasks] == [2, 5]
    assert dropped == 2
    with pytest.raises(InputError, match="not a list"):
        pulled_tasks({"detail": "oops"})


def test_write_pull_gives_a_file_that_validates(tmp_path):
    empty = {
        "id": 2,
        "data": {"text": "Không có gì.", "article_id": "a", "sentence_index": 0},
        "annotations": [{"id": 5, "was_cancelled": False, "result": []}],
    }
    output = tmp_path / "incoming" / "review.json"
    summary, dropped = write_pull([RECORDED_TASK, empty], output)
    assert (summary.tasks, summary.empty, dropped) == (2, 1, 0)
    report = read_file(output)
    assert report.problems == [] and report.skipped_unannotated == 0
    assert [(e.task_id, [(s.start, s.end, s.label) for s in e.spans]) for e in report.examples] == [
        (2, []),
        (5, [(0, 21, "ORGANIZATION"), (30, 41, "PERSONNEL_COUNT"), (57, 63, "DRUG_TYPE")]),
    ]
    assert read_file(output).problems == []  # what `bienphong validate` checks
    # predictions travel along for later comparison, but are never read as gold
    assert json.loads(output.read_text(encoding="utf-8"))[1]["predictions"][1]["model_version"] == "m@2"


def test_write_pull_refuses_problems_and_writes_nothing(tmp_path):
    bad = copy.deepcopy(RECORDED_TASK)
    bad["annotations"][0]["result"].append(item(2, 10, "LOCATION", ident="overlap"))
    bad["annotations"][0]["result"].append(item(0, 3, "NOT_A_LABEL", ident="unknown"))
    output = tmp_path / "review.json"
    with pytest.raises(InputError) as raised:
        write_pull([bad], output)
    message = str(raised.value)
    assert "fix them in Label Studio" in message and "overlap" in message and "NOT_A_LABEL" in message
    assert "task 5" in message
    assert not output.exists() and not list(tmp_path.iterdir())
    with pytest.raises(InputError, match="no finished annotations"):
        write_pull([{"id": 1, "data": {"text": "x"}, "annotations": []}], output)
    assert not output.exists()


# ---------------------------------------------------------------- keys, plans, schema


def new_task(article: str, index: int, text: str, version: str = "m@2", score: float = 0.5) -> dict:
    return {
        "data": {"text": text, "article_id": article, "sentence_index": index, "task_key": task_key(article, index, text)},
        "predictions": [{"model_version": version, "score": score, "result": []}],
    }


def test_existing_keys_from_task_key_or_from_the_sentence():
    assert existing_key({"task_key": "a#1#abc", "text": "x"}) == "a#1#abc"
    assert existing_key({"text": "Câu.", "article_id": "a", "sentence_index": 1}) == task_key("a", 1, "Câu.")
    assert existing_key({"text": "no identity"}) is None
    assert existing_key(None) is None
    index = index_tasks(
        [
            {"id": 1, "data": {"task_key": "k1"}, "predictions": [{"model_version": "m@1"}]},
            {"id": 2, "data": {"text": "Câu.", "article_id": "a", "sentence_index": 1}, "predictions": []},
            {"id": 3, "data": {"text": "manual"}, "predictions": []},
        ]
    )
    assert index == {"k1": ExistingTask(1, {"m@1"}), task_key("a", 1, "Câu."): ExistingTask(2, set())}


def test_plan_push_skips_known_sentences_and_adds_new_model_versions():
    one, two, three = new_task("a", 0, "Một."), new_task("a", 1, "Hai."), new_task("b", 0, "Ba.")
    existing = {one["data"]["task_key"]: ExistingTask(11, {"m@2"}), two["data"]["task_key"]: ExistingTask(12, {"m@1"})}
    plan = plan_push([one, two, three, three], existing, "m@2")
    assert plan.create == [three]
    assert plan.predict == [(12, two["predictions"][0])]
    assert plan.skipped == 2  # `one` has this version; the second `three` is a repeat


def test_orphaned_labels_in_annotations_and_drafts():
    tasks = [
        {
            "annotations": [{"result": [item(0, 3, "TIME"), item(0, 3, "OLD_LABEL")]}],
            "drafts": [{"result": [item(4, 6, "OLD_LABEL")]}],
        },
        {"annotations": [{"result": [dict(item(0, 3, "TIME"), from_name="other")]}], "drafts": []},
        {"annotations": [], "drafts": None},
    ]
    assert orphaned_labels(tasks) == {"OLD_LABEL": 2, "other:TIME": 1}
    assert orphaned_labels([]) == {}


def test_config_labels_and_schema_differences():
    config = labeling_config_xml()
    assert config_labels(config)[:2] == ["OFFICIAL_NAME", "OFFICIAL_TITLE"]
    assert schema_differences(config) == []
    old = config.replace('"MONEY"', '"OLD_LABEL"')
    assert schema_differences(old) == ["labels not in the schema: OLD_LABEL", "schema labels missing from the project: MONEY"]
    assert "no <Labels" in schema_differences("<View><Text name='text' value='$text'/></View>")[0]
    assert "no <Labels" in schema_differences("not xml")[0]


# ---------------------------------------------------------------- the server wrapper on recorded HTTP answers

KEY = "super-secret-key-42"


class FakeServer:
    """Answers the SDK's requests from a script of (method, path) -> list of responses."""

    def __init__(self, routes: dict):
        self.routes = {key: list(value) for key, value in routes.items()}
        self.calls: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        self.calls.append(key)
        assert request.headers["authorization"] == f"Token {KEY}"
        answers = self.routes.get(key)
        if not answers:
            return httpx.Response(404, json={"detail": "Not found."})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        status, body = answer
        return httpx.Response(status, json=body)


def server_for(fake: FakeServer, tries: int = 3) -> tuple[Server, list[float]]:
    sleeps: list[float] = []
    conn = Connection("http://ls.test", KEY, tries=tries, backoff=0.5)
    return Server(conn, httpx_client=httpx.Client(transport=httpx.MockTransport(fake)), sleep=sleeps.append), sleeps


WHOAMI = ("GET", "/api/current-user/whoami")
USER = {"id": 1, "email": "reviewer@example.com"}


def test_transient_failures_are_retried_with_backoff():
    fake = FakeServer({WHOAMI: [(503, {"detail": "busy"}), httpx.ConnectError("refused"), (200, USER)]})
    server, sleeps = server_for(fake, tries=3)
    assert server.check()["email"] == "reviewer@example.com"
    assert sleeps == [0.5, 1.0] and len(fake.calls) == 3


def test_retries_give_up_with_one_clear_line():
    server, sleeps = server_for(FakeServer({WHOAMI: [(502, {"detail": "bad gateway"})]}), tries=2)
    with pytest.raises(BienphongError, match=r"answered HTTP 502 after 2 tries: bad gateway"):
        server.check()
    server, _ = server_for(FakeServer({WHOAMI: [httpx.ConnectError(f"refused {KEY}")]}), tries=2)
    with pytest.raises(BienphongError) as raised:
        server.check()
    assert "cannot reach Label Studio at http://ls.test after 2 tries" in str(raised.value)
    assert KEY not in str(raised.value)


def test_a_bad_key_is_not_retried_nor_shown():
    fake = FakeServer({WHOAMI: [(401, {"detail": "Invalid token."})]})
    server, sleeps = server_for(fake)
    with pytest.raises(BienphongError) as raised:
        server.check()
    assert "refused the API key (HTTP 401: Invalid token.)" in str(raised.value)
    assert KEY not in str(raised.value) and sleeps == [] and len(fake.calls) == 1


def tasks_page(tasks: list[dict]):
    """GET /api/tasks/: the tasks on page 1, an empty page after it (the SDK pages until one is empty)."""

    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(
            200, json={"tasks": tasks if page == 1 else [], "total": len(tasks), "total_annotations": 0, "total_predictions": 0}
        )

    return answer


def test_a_failed_import_that_took_effect_is_not_repeated():
    """The import answers 500 but created the tasks: the retry looks first and imports nothing more."""
    tasks = [new_task("a", 0, "Một."), new_task("a", 1, "Hai.")]
    created = [
        {"id": 1, "data": tasks[0]["data"], "predictions": [], "annotations": [], "drafts": []},
        {"id": 2, "data": tasks[1]["data"], "predictions": [], "annotations": [], "drafts": []},
    ]
    fake = FakeServer(
        {
            ("POST", "/api/projects/3/import"): [(500, {"detail": "database is locked"})],
            ("GET", "/api/tasks/"): [tasks_page(created)],
        }
    )
    server, _ = server_for(fake)
    result = push_tasks(
        server,
        "review",
        {"id": 3, "label_config": labeling_config_xml(), "model_version": "m@2"},
        [],
        tasks,
        "m@2",
        progress=False,
    )
    assert result.created == 2
    assert fake.calls.count(("POST", "/api/projects/3/import")) == 1


def test_push_creates_the_project_and_imports():
    tasks = [new_task("a", 0, "Một.", score=0.2), new_task("a", 1, "Hai.", score=0.3)]
    imported: list = []

    def import_answer(request):
        imported.extend(json.loads(request.content))
        return httpx.Response(201, json={"task_count": len(imported), "task_ids": [1, 2]})

    fake = FakeServer(
        {
            ("POST", "/api/projects/"): [(201, {"id": 8, "title": "review"})],
            ("PATCH", "/api/projects/8/"): [(200, {"id": 8, "model_version": "m@2"})],
        }
    )

    def handler(request):
        if request.url.path == "/api/projects/8/import":
            return import_answer(request)
        return fake(request)

    server = Server(Connection("http://ls.test", KEY), httpx_client=httpx.Client(transport=httpx.MockTransport(handler)))
    result = push_tasks(server, "review", None, [], tasks, "m@2", progress=False)
    assert (result.project_id, result.project_created, result.created, result.skipped) == (8, True, 2, 0)
    assert [t["data"]["task_key"] for t in imported] == [t["data"]["task_key"] for t in tasks]
    assert imported[0]["predictions"][0]["model_version"] == "m@2"
    assert ("PATCH", "/api/projects/8/") in fake.calls  # the project pre-annotates with this version


def run_ls(argv: list[str]) -> int:
    """``bienphong ls ...`` through the argparse wiring of ``add_commands`` (no inference.cli)."""
    parser = argparse.ArgumentParser(prog="bienphong")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def test_commands_need_a_key_and_a_url(monkeypatch, tmp_path):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    with pytest.raises(BienphongError, match="no Label Studio API key: set LABEL_STUDIO_API_KEY"):
        run_ls(["ls", "pull", "--output", str(tmp_path / "x.json")])
    with pytest.raises(BienphongError) as raised:
        run_ls(["ls", "pull", "--output", str(tmp_path / "x.json"), "--api-key", KEY, "--url", "localhost:8080"])
    assert "must start with http://" in str(raised.value) and KEY not in str(raised.value)
    assert not (tmp_path / "x.json").exists()


def test_something_else_at_the_url_is_named():
    server, _ = server_for(FakeServer({}))  # 404 for everything
    with pytest.raises(BienphongError, match=r"no Label Studio API at http://ls.test \(HTTP 404"):
        server.check()

    def html(request):
        return httpx.Response(200, text="<html>a router login page</html>")

    server, _ = server_for(FakeServer({WHOAMI: [html]}))
    with pytest.raises(BienphongError, match="unexpected answer from http://ls.test .*is this a Label Studio server"):
        server.check()


def test_flags_override_the_environment(monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://env.test:8080/")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "env-key-123")
    conn = connection(tries=2, backoff=0.1)
    assert (conn.url, conn.api_key, conn.tries, conn.backoff) == ("http://env.test:8080", "env-key-123", 2, 0.1)
    assert "env-key-123" not in repr(conn)
    conn = connection("https://flag.test", "flag-key-456", tries=4, backoff=1.0)
    assert (conn.url, conn.api_key) == ("https://flag.test", "flag-key-456")
    with pytest.raises(BienphongError, match="tries must be at least 1"):
        connection("https://flag.test", "flag-key-456", tries=0)


# ---------------------------------------------------------------- real sockets on 127.0.0.1: timeouts, keys, retries


@pytest.fixture
def silent_server():
    """Accepts TCP connections (the kernel's backlog) and never answers a byte."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_server_that_never_answers_ends_within_the_timeout(silent_server, tmp_path):
    conn = Connection(silent_server, KEY, tries=2, backoff=0.05, connect_timeout=2, read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(BienphongError) as raised:
        Server(conn).check()
    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert "\n" not in message and KEY not in message
    assert f"Label Studio at {silent_server} did not answer within 0.5 s after 2 tries" in message
    # the same through the command line: one error, nothing written
    output = tmp_path / "pulled.json"
    with pytest.raises(BienphongError, match="did not answer within 0.5 s"):
        run_ls(
            [
                "ls",
                "pull",
                "--output",
                str(output),
                "--url",
                silent_server,
                "--api-key",
                KEY,
                "--tries",
                "1",
                "--read-timeout",
                "0.5",
            ]
        )
    assert not output.exists()


def test_a_key_saved_with_crlf_works_and_is_never_shown():
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json=USER) if len(seen) == 1 else httpx.Response(401, json={"detail": "Invalid."})

    conn = Connection("http://ls.test", KEY + "\r\n")
    assert conn.api_key == KEY
    server = Server(conn, httpx_client=httpx.Client(transport=httpx.MockTransport(answer)))
    assert server.check()["email"] == "reviewer@example.com"
    assert seen == [f"Token {KEY}"]
    with pytest.raises(BienphongError) as raised:
        server.check()
    assert KEY not in str(raised.value) and "\r" not in str(raised.value)
    with pytest.raises(BienphongError, match="no Label Studio API key"):
        Connection("http://ls.test", " \r\n")


def test_credentials_in_the_url_are_redacted(tmp_path):
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://admin:hunter2@127.0.0.1:{port}"
    conn = Connection(url, KEY, tries=2, backoff=0.01, connect_timeout=2)
    assert "hunter2" not in repr(conn) and conn.shown_url == f"http://***@127.0.0.1:{port}"
    with pytest.raises(BienphongError) as raised:
        Server(conn).check()
    message = str(raised.value)
    assert f"cannot reach Label Studio at http://***@127.0.0.1:{port} after 2 tries" in message
    assert "hunter2" not in message and "admin" not in message and KEY not in message
    with pytest.raises(BienphongError) as raised:
        Connection("ftp://admin:hunter2@host", KEY)
    assert "hunter2" not in str(raised.value)


class FlakyHandler(BaseHTTPRequestHandler):
    """whoami: HTTP 503 on the first request, the user on every later one."""

    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        type(self).requests.append(self.path)
        status, body = (503, {"detail": "starting up"}) if len(self.requests) == 1 else (200, USER)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the test output clean
        pass


def test_a_transient_5xx_is_retried_through_tenacity():
    FlakyHandler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        sleeps: list[float] = []
        conn = Connection(f"http://127.0.0.1:{httpd.server_address[1]}", KEY, tries=3, backoff=0.25, read_timeout=5)
        server = Server(conn, sleep=sleeps.append)
        assert server.check()["email"] == "reviewer@example.com"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert FlakyHandler.requests == ["/api/current-user/whoami"] * 2
    assert sleeps == [0.25]  # tenacity's wait_exponential, through the injected sleep
    assert server.retry_statistics["attempt_number"] == 2  # tenacity's own count
