"""``bienphong serve``: the ML backend protocol over real HTTP on 127.0.0.1 (a free port), with the tiny model."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from inference.cli import main
from inference.serve import LiveModel, make_server

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def _copy_model(source: Path, target: Path) -> Path:
    """The model files only (no checkpoints): the served directory a test may replace."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)
    return target


def _set_version(model_dir: Path, version: str) -> None:
    config_file = model_dir / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["bienphong"]["model_version"] = version
    config_file.write_text(json.dumps(config), encoding="utf-8")


class Running:
    """The backend on a free port of 127.0.0.1, in a thread; ``retrain(model)`` makes its Retrainer, if any."""

    def __init__(self, model_dir: Path, interval: float, retrain=None):
        self.model = LiveModel(model_dir, interval)
        self.retrainer = retrain(self.model) if retrain else None
        self.server = make_server(self.model, "127.0.0.1", 0, self.retrainer)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def call(self, path: str, body=None, method: str | None = None, raw: bytes | None = None) -> tuple[int, dict]:
        data = raw if raw is not None else (json.dumps(body).encode("utf-8") if body is not None else None)
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method or ("POST" if data is not None else "GET"),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            assert error.headers["Content-Type"].startswith("application/json")
            return error.code, json.loads(error.read())

    def close(self) -> None:
        if self.retrainer is not None:
            self.retrainer.close()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def spanning_model(tiny_model, tmp_path_factory) -> Path:
    """The tiny model with a random, sharper classifier head: it predicts spans (a few training steps do not)."""
    import torch
    from transformers import AutoModelForTokenClassification

    directory = _copy_model(tiny_model, tmp_path_factory.mktemp("spanning"))
    model = AutoModelForTokenClassification.from_pretrained(str(directory))
    torch.manual_seed(7)
    with torch.no_grad():
        model.classifier.weight.normal_(0.0, 2.0)
        model.classifier.bias.zero_()
    model.save_pretrained(directory)
    return directory


@pytest.fixture
def served(spanning_model, tmp_path):
    running = Running(_copy_model(spanning_model, tmp_path / "served"), interval=0.0)  # check the directory on every request
    yield running
    running.close()


@pytest.fixture(scope="module")
def cli_tasks(spanning_model, tmp_path_factory) -> list[dict]:
    """What `bienphong tasks` writes for the seed articles."""
    output = tmp_path_factory.mktemp("tasks") / "tasks.json"
    assert main(["tasks", "--model", str(spanning_model), str(SEEDS), "--output", str(output), "--quiet", "--limit", "40"]) == 0
    return json.loads(output.read_text(encoding="utf-8"))


def test_health_and_setup(served):
    version = served.model.model_version
    for path in ("/health", "/", "/health/"):
        status, body = served.call(path)
        assert status == 200 and body["status"] == "UP" and body["model_version"] == version
    # what Label Studio 1.23 sends to /setup
    status, body = served.call(
        "/setup", {"project": "1.1700000000", "schema": "<View/>", "hostname": "http://x", "access_token": "t"}
    )
    assert (status, body) == (200, {"model_version": version})


def test_predict_gives_what_bienphong_tasks_gives(served, cli_tasks):
    tasks = [{"id": 100 + i, "project": 1, "data": dict(task["data"])} for i, task in enumerate(cli_tasks)]
    status, body = served.call("/predict", {"tasks": tasks, "project": "1.1700000000", "label_config": "<View/>", "params": {}})
    assert status == 200 and body["model_version"] == served.model.model_version
    assert len(body["results"]) == len(tasks)
    assert body["results"] == [task["predictions"][0] for task in cli_tasks]
    assert any(result["result"] for result in body["results"]), "the tiny model predicts some spans"
    for task, result in zip(tasks, body["results"]):
        for item in result["result"]:
            value = item["value"]
            assert task["data"]["text"][value["start"] : value["end"]] == value["text"]


def test_a_text_of_several_sentences_is_tagged_whole(served, cli_tasks):
    text = " ".join(task["data"]["text"] for task in cli_tasks[:3])
    status, body = served.call("/predict", {"tasks": [{"id": 1, "data": {"text": text}}]})
    assert status == 200
    (result,) = body["results"]
    expected = served.model.tagger.predict([text])[0]
    assert result["score"] == round(expected.confidence, 4)
    assert [(i["value"]["start"], i["value"]["end"], i["value"]["labels"]) for i in result["result"]] == [
        (s.start, s.end, [s.label]) for s in expected.spans
    ]
    assert all(text[i["value"]["start"] : i["value"]["end"]] == i["value"]["text"] for i in result["result"])


def test_a_text_that_is_not_nfc_gets_an_error_not_moved_offsets(served, cli_tasks):
    nfc = next(task["data"]["text"] for task in cli_tasks if any(ch in task["data"]["text"] for ch in "ếộừạ"))
    nfd = unicodedata.normalize("NFD", nfc)
    tasks = [{"id": 7, "data": {"text": nfd}}, {"id": 8, "data": {"text": nfc}}, {"id": 9, "data": {"title": "no text"}}]
    status, body = served.call("/predict", {"tasks": tasks})
    assert status == 200
    bad, good, missing = body["results"]
    assert bad["result"] == [] and "task 7" in bad["error"] and "NFC" in bad["error"]
    assert "error" not in good and good["score"] == round(served.model.tagger.predict([nfc])[0].confidence, 4)
    assert missing["result"] == [] and "task 9" in missing["error"] and "data.text" in missing["error"]


@pytest.mark.parametrize(
    "path, raw, method, status, words",
    [
        ("/predict", b"{not json", "POST", 400, "not valid JSON"),
        ("/predict", b"", "POST", 400, "empty"),
        ("/predict", b"[1, 2]", "POST", 400, "JSON object"),
        ("/predict", b'{"tasks": []}', "POST", 400, "no tasks"),
        ("/predict", b'{"project": "1.2"}', "POST", 400, "no tasks"),
        ("/predict", b'{"tasks": "abc"}', "POST", 400, "no tasks"),
        ("/predict", b"\xff\xfe{}", "POST", 400, "not valid JSON"),
        ("/predict", None, "GET", 405, "takes POST"),
        ("/health", b"{}", "POST", 405, "takes GET"),
        ("/train-me", b"{}", "POST", 404, "no such endpoint"),
        ("/webhook", b'{"project": {"id": 1}}', "POST", 400, "action"),
    ],
)
def test_bad_requests_get_a_json_error(served, path, raw, method, status, words):
    code, body = served.call(path, raw=raw, method=method)
    assert code == status and words in body["error"]


def test_webhook_accepts_label_studio_events(served):
    for action in ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "START_TRAINING"):
        status, body = served.call("/webhook", {"action": action, "project": {"id": 3, "title": "p"}, "annotation": {"id": 1}})
        assert status == 200 and body["action"] == action
    assert served.call("/health")[0] == 200
    assert served.call("/webhook", {"action": "PROJECT_UPDATED"})[0] == 200


def test_a_newer_model_is_picked_up(served, tiny_model, caplog):
    task = {"tasks": [{"id": 1, "data": {"text": "Đồn Biên phòng Si Ma Cai bắt giữ 02 đối tượng."}}]}
    old = served.model.model_version
    assert served.call("/predict", task)[1]["model_version"] == old

    directory = served.model.directory
    (directory / "model.safetensors").write_bytes(b"")  # a model half put in place: the old one keeps serving
    status, body = served.call("/predict", task)
    assert status == 200 and body["model_version"] == old
    assert "does not load" in caplog.text

    _copy_model(tiny_model, directory)
    _set_version(directory, "serve-test@2")
    assert served.call("/setup", {"project": "1.2"})[1] == {"model_version": "serve-test@2"}
    status, body = served.call("/predict", task)
    assert body["model_version"] == "serve-test@2" and body["results"][0]["model_version"] == "serve-test@2"
    assert served.call("/health")[1]["model_version"] == "serve-test@2"


def test_the_directory_is_checked_at_most_every_interval(tiny_model, tmp_path):
    directory = _copy_model(tiny_model, tmp_path / "slow")
    model = LiveModel(directory, interval=3600)
    old = model.model_version
    _set_version(directory, "serve-test@3")
    assert model.current().model_version == old  # not yet: the next check is an hour away
    model.interval = 0
    assert model.current().model_version == "serve-test@3"


def test_a_bad_model_directory_exits_2_with_one_line(tmp_path, capsys):
    assert main(["serve", "--model", str(tmp_path / "no-model"), "--port", "0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("error: ") and "no-model" in error

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{oops", encoding="utf-8")
    assert main(["serve", "--model", str(tmp_path / "broken")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "not valid JSON" in error


def test_a_busy_port_exits_2_with_one_line(tiny_model, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["serve", "--model", str(tiny_model), "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in error


def test_help_imports_neither_torch_nor_the_server():
    code = (
        "import sys; from inference.cli import build_parser; build_parser();"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'wsgiref', 'socketserver')];"
        "print(bad); sys.exit(bool(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
