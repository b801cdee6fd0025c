"""The review loop against a real Label Studio server (started here, on 127.0.0.1, on a free port).

push (twice: no duplicates) -> push from a newer model (new predictions) -> a reviewer's
annotations through the SDK -> pull -> validate -> one training step on what came back.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from annotations.labelstudio import read_file
from annotations.schema import labeling_config_xml
from inference.cli import main
from tests.conftest import write_seed_corpus

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
EXECUTABLE = Path(sys.executable).parent / "label-studio"
TOKEN = "bienphong-test-token-5f3c9a"  # a legacy token, set for the throwaway server only
EMAIL, PASSWORD = "reviewer@example.com", "test-password-123"
START_TIMEOUT = 240


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServer:
    def __init__(self, process: subprocess.Popen, url: str, log: Path):
        self.process, self.url, self.log = process, url, log
        self.launched = time.monotonic()
        self.start_seconds: float | None = None

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])

    def wait(self) -> None:
        """Until the API answers our token (the admin user and token exist only after set-up)."""
        if self.start_seconds is not None:  # a second module's fixture: the shared server answered already
            return
        request = urllib.request.Request(f"{self.url}/api/current-user/whoami", headers={"Authorization": f"Token {TOKEN}"})
        while time.monotonic() - self.launched < START_TIMEOUT:
            if self.process.poll() is not None:
                pytest.fail(f"label-studio exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        self.start_seconds = time.monotonic() - self.launched
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        pytest.fail(f"label-studio did not answer within {START_TIMEOUT} s:\n{self.log_tail()}")


_LAUNCHED: list[RunningServer] = []  # one server per test session, for every module that imports these fixtures


@pytest.fixture(scope="session")
def label_studio_process(tmp_path_factory):
    """Launches the server (not waiting for it, so that it starts while the tiny model trains)."""
    if _LAUNCHED:  # another module's copy of this fixture started it (a fixture imported elsewhere is a second one)
        yield _LAUNCHED[0]
        return
    if not EXECUTABLE.exists():
        pytest.skip(
            f"label-studio is not installed next to {sys.executable}; install it with"
            " `pip install -e '.[dev]'` to run the server tests"
        )
    data = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    env = dict(
        os.environ,
        LABEL_STUDIO_BASE_DATA_DIR=str(data / "data"),
        LABEL_STUDIO_USERNAME=EMAIL,
        LABEL_STUDIO_PASSWORD=PASSWORD,
        LABEL_STUDIO_USER_TOKEN=TOKEN,
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LATEST_VERSION_CHECK="false",
        COLLECT_ANALYTICS="false",
        # an ML backend on 127.0.0.1 (tests/test_serve_server.py): Label Studio may call it, and its webhook
        ML_BLOCK_LOCAL_IP="false",
        SSRF_PROTECTION_ENABLED="false",
    )
    log = data / "server.log"
    with log.open("w", encoding="utf-8") as stream:
        process = subprocess.Popen(
            [str(EXECUTABLE), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = RunningServer(process, f"http://127.0.0.1:{port}", log)
    _LAUNCHED.append(server)
    yield server
    _LAUNCHED.clear()
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the group of the process started above, nothing else
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def label_studio(label_studio_process, request) -> RunningServer:
    label_studio_process.wait()
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nlabel-studio answered at {label_studio_process.url} {label_studio_process.start_seconds:.0f} s after launch"
            )
    return label_studio_process


@pytest.fixture
def client(label_studio):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=label_studio.url, api_key=TOKEN)


@contextmanager
def web_session(url: str):
    """An httpx client logged in through the login page, as a browser is (session and CSRF cookies)."""
    import httpx

    with httpx.Client(base_url=url, follow_redirects=True, timeout=60) as web:
        web.get("/user/login/")
        form = {"email": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": web.cookies.get("csrftoken")}
        answer = web.post("/user/login/", data=form, headers={"Referer": f"{url}/user/login/"})
        assert answer.status_code == 200 and "sessionid" in web.cookies, answer.text[:300]
        web.headers.update({"X-CSRFToken": web.cookies.get("csrftoken"), "Referer": f"{url}/"})
        yield web


def create_personal_access_token(url: str) -> str:
    """What a user does: log in, Account & Settings -> Personal Access Token -> Create (shown once)."""
    with web_session(url) as web:
        answer = web.post("/api/token/")
        assert answer.status_code == 201, answer.text[:300]
        return answer.json()["token"]


def revoke_personal_access_tokens(url: str) -> int:
    """Account & Settings -> Revoke, for every personal access token of the user."""
    with web_session(url) as web:
        listed = web.get("/api/token/").json()
        for item in listed:
            assert web.post("/api/token/blacklist/", json={"refresh": item["token"]}).status_code == 204
        return len(listed)


@pytest.fixture
def personal_access_token(label_studio):
    token = create_personal_access_token(label_studio.url)
    yield token
    revoke_personal_access_tokens(label_studio.url)


@pytest.fixture
def env(label_studio, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", TOKEN)


def _project(client, title: str) -> dict:
    return next(p.model_dump(mode="json") for p in client.projects.list(title=title) if p.title == title)


def _tasks(client, project_id: int) -> list[dict]:
    return [t.model_dump(mode="json") for t in client.tasks.list(project=project_id, fields="all", page_size=500)]


def _retitle(model_dir: Path, version: str) -> None:
    config_file = model_dir / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["bienphong"]["model_version"] = version
    config_file.write_text(json.dumps(config), encoding="utf-8")


@pytest.mark.server
def test_review_round_trip(
    label_studio_process, tiny_model, seed_corpus, label_studio, client, env, tmp_path, capsys, monkeypatch
):
    from inference.review.client import Server

    monkeypatch.setattr(Server, "task_page", 7)  # list projects page by page
    title = "bienphong-review-test"
    push = ["ls", "push", "--model", str(tiny_model), str(SEEDS), "--limit", "15", "--project", title, "--quiet"]

    # 1. first push: a new project with the schema's config and 15 tasks, least confident first
    assert main(push) == 0
    out = capsys.readouterr().out
    assert "created" in out and "15 tasks created, 0 skipped" in out and TOKEN not in out
    project = _project(client, title)
    assert project["label_config"].strip() == labeling_config_xml().strip()
    tasks = _tasks(client, project["id"])
    assert len(tasks) == 15
    scores = [t["predictions"][0]["score"] for t in sorted(tasks, key=lambda t: t["id"])]
    assert scores == sorted(scores)
    assert all(t["data"]["task_key"] and t["predictions"][0]["model_version"] for t in tasks)

    # 2. the same push again adds nothing
    assert main(push) == 0
    assert "0 tasks created, 15 skipped" in capsys.readouterr().out
    assert len(_tasks(client, project["id"])) == 15

    # 3. a better-trained model (its own version): existing sentences get a new prediction, new ones are created
    better = write_seed_corpus(tmp_path / "better", steps=200).parent
    assert main(["train", "--config", str(better / "tiny.yaml"), "--output-dir", str(better / "run")]) == 0
    _retitle(better / "run", "review-test@2")
    capsys.readouterr()
    assert main(["ls", "push", "--model", str(better / "run"), str(SEEDS), "--limit", "15", "--project", title, "--quiet"]) == 0
    out = capsys.readouterr().out
    created = int(out.split(" tasks created")[0].rsplit(" ", 1)[-1])
    predicted = int(out.split(" existing tasks got")[0].rsplit(" ", 1)[-1])
    assert created + predicted == 15 and ", 0 skipped" in out
    tasks = _tasks(client, project["id"])
    assert len(tasks) == 15 + created
    keys = [t["data"]["task_key"] for t in tasks]
    assert len(keys) == len(set(keys))
    for task in tasks:
        versions = [p["model_version"] for p in task["predictions"]]
        assert len(versions) == len(set(versions))
    assert _project(client, title)["model_version"] == "review-test@2"

    # 4. a reviewer at work: the task with most predicted spans gets one relabelled, one deleted and one
    # added span, the rest accepted; two more tasks are accepted as they are; one is skipped (cancelled)
    newest = {
        t["id"]: next(p for p in t["predictions"] if p["model_version"] == "review-test@2")
        for t in tasks
        if any(p["model_version"] == "review-test@2" for p in t["predictions"])
    }
    ranked = sorted(newest, key=lambda i: -len(newest[i]["result"]))
    main_task, accepted, skipped = ranked[0], ranked[1:3], ranked[3]
    prediction = newest[main_task]
    assert len(prediction["result"]) >= 3, "the 200-step model should predict several spans"
    text = next(t for t in tasks if t["id"] == main_task)["data"]["text"]
    result = [dict(item, value=dict(item["value"])) for item in prediction["result"]]
    for item in result:
        item.pop("score", None)
    first = result[0]["value"]
    first["labels"] = ["MONEY" if first["labels"] != ["MONEY"] else "LOCATION"]
    del result[-1]
    covered = {i for item in prediction["result"] for i in range(item["value"]["start"], item["value"]["end"])}
    start = next(i for i, ch in enumerate(text) if not ch.isspace() and i not in covered and (i == 0 or text[i - 1].isspace()))
    end = start
    while end < len(text) and not text[end].isspace() and end not in covered:
        end += 1
    result.append(
        {
            "id": "reviewer-added",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": ["SEIZED_ITEM"]},
        }
    )
    client.annotations.create(id=main_task, result=result, parent_prediction=prediction["id"], was_cancelled=False)
    accepted_spans = 0
    for task_id in accepted:
        accepted_result = [{k: v for k, v in item.items() if k != "score"} for item in newest[task_id]["result"]]
        accepted_spans += len(accepted_result)
        client.annotations.create(id=task_id, result=accepted_result, parent_prediction=newest[task_id]["id"])
    client.annotations.create(id=skipped, result=[], was_cancelled=True)

    # 5. pull: only the three finished tasks come back, in a file that validates
    output = tmp_path / "incoming" / "review-01.json"
    capsys.readouterr()
    assert main(["ls", "pull", "--project", title, "--output", str(output)]) == 0
    out = capsys.readouterr().out
    kept = len(prediction["result"]) - 2 + accepted_spans
    assert f"3 annotated tasks from project {title!r}" in out
    assert TOKEN not in out and TOKEN not in output.read_text(encoding="utf-8")
    assert f"{kept} kept, 1 changed (1 relabelled, 0 resized), 1 added; 1 predicted spans deleted" in out
    report = read_file(output)
    assert report.problems == [] and report.skipped_unannotated == 0
    assert sorted(e.task_id for e in report.examples) == sorted([main_task, *accepted])
    example = next(e for e in report.examples if e.task_id == main_task)
    assert any(s.label == "SEIZED_ITEM" and (s.start, s.end) == (start, end) for s in example.spans)
    assert main(["validate", str(output)]) == 0
    assert not list(output.parent.glob(".*.tmp"))

    # 6. training reads it: one step on the pulled file plus the seed corpus
    config = tmp_path / "retrain.yaml"
    config.write_text(
        (seed_corpus / "tiny.yaml")
        .read_text(encoding="utf-8")
        .replace("files: [seeds.json]", f"files: [{json.dumps(str(output))}, {json.dumps(str(seed_corpus / 'seeds.json'))}]")
        .replace("split: split.yaml", f"split: {json.dumps(str(seed_corpus / 'split.yaml'))}")
        .replace("max_steps: 12", "max_steps: 1"),
        encoding="utf-8",
    )
    assert main(["train", "--config", str(config), "--output-dir", str(tmp_path / "retrained")]) == 0
    assert (tmp_path / "retrained" / "config.json").is_file()


@pytest.mark.server
def test_schema_mismatch(label_studio, client, env, tiny_model, tmp_path, capsys):
    """A project whose config lost a schema label and gained another, used by an annotation."""
    title = "bienphong-old-schema"
    old_config = labeling_config_xml().replace('"MONEY"', '"OLD_LABEL"')
    project = client.projects.create(title=title, label_config=old_config)
    text = "Tịch thu 5 triệu đồng."
    client.projects.import_tasks(
        id=project.id,
        request=[
            {
                "data": {"text": text, "article_id": "old", "sentence_index": 0},
                "annotations": [
                    {
                        "result": [
                            {
                                "id": "a",
                                "from_name": "label",
                                "to_name": "text",
                                "type": "labels",
                                "value": {"start": 9, "end": 21, "text": text[9:21], "labels": ["OLD_LABEL"]},
                            }
                        ]
                    }
                ],
            }
        ],
    )
    push = ["ls", "push", "--model", str(tiny_model), str(SEEDS), "--limit", "3", "--project", title, "--quiet"]

    assert main(push) == 2
    error = capsys.readouterr().err
    assert "orphan" in error and "OLD_LABEL (1)" in error and TOKEN not in error
    assert len(_tasks(client, project.id)) == 1  # nothing imported
    output = tmp_path / "old.json"
    assert main(["ls", "pull", "--project", title, "--output", str(output)]) == 2
    error = capsys.readouterr().err
    assert "does not use the current labeling schema" in error and "OLD_LABEL" in error and "MONEY" in error
    assert not output.exists()

    # once the annotation is gone, push updates the config
    task = _tasks(client, project.id)[0]
    for annotation in task["annotations"]:
        client.annotations.delete(id=annotation["id"])
    assert main(push) == 0
    assert "labeling config updated" in capsys.readouterr().out
    assert _project(client, title)["label_config"].strip() == labeling_config_xml().strip()
    assert len(_tasks(client, project.id)) == 4


@pytest.mark.server
def test_errors_name_the_problem(label_studio, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    output = tmp_path / "pulled.json"

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-the-right-key-123")
    # the server is asked before the model is loaded: a missing model is not the error reported
    assert main(["ls", "push", "--model", str(tmp_path / "no-model"), str(SEEDS), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "refused the API key (HTTP 401" in error and "not-the-right-key-123" not in error
    assert main(["ls", "pull", "--output", str(output)]) == 2
    assert "refused the API key" in capsys.readouterr().err

    monkeypatch.setenv("LABEL_STUDIO_API_KEY", TOKEN)
    assert main(["ls", "pull", "--project", "no-such-project", "--output", str(output)]) == 2
    error = capsys.readouterr().err
    assert "no project named 'no-such-project'" in error and TOKEN not in error
    assert not output.exists()


def test_unreachable_server(monkeypatch, tmp_path, capsys):
    """No server needed: a closed port on 127.0.0.1, two quick tries."""
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{_free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "secret-key-never-shown")
    output = tmp_path / "pulled.json"
    started = time.monotonic()
    assert main(["ls", "pull", "--output", str(output), "--tries", "2", "--backoff", "0.05"]) == 2
    error = capsys.readouterr().err
    assert time.monotonic() - started < 10
    assert "cannot reach Label Studio at http://127.0.0.1:" in error and "after 2 tries" in error
    assert "secret-key-never-shown" not in error
    assert not output.exists()


@pytest.mark.server
def test_a_personal_access_token_works_until_revoked(
    label_studio, client, personal_access_token, tiny_model, monkeypatch, tmp_path, capsys
):
    pat = personal_access_token
    assert pat.count(".") == 2  # a JWT (refresh token), not a legacy token
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", pat)
    title = "bienphong-pat-test"
    push = ["ls", "push", "--model", str(tiny_model), str(SEEDS), "--limit", "3", "--project", title, "--quiet"]
    assert main(push) == 0
    out = capsys.readouterr().out
    assert "3 tasks created" in out and pat not in out

    task = _tasks(client, _project(client, title)["id"])[0]
    client.annotations.create(id=task["id"], result=[])  # a sentence without slots, submitted
    output = tmp_path / "pat.json"
    assert main(["ls", "pull", "--project", title, "--output", str(output)]) == 0
    assert "1 annotated tasks" in capsys.readouterr().out
    assert main(["validate", str(output)]) == 0

    assert revoke_personal_access_tokens(label_studio.url) == 1
    assert main(push) == 2
    error = capsys.readouterr().err
    assert "refused the API key (HTTP 401" in error and "a personal access token" in error and pat not in error
