# ruff: noqa: F811 (pytest fixtures imported from other test modules are parameters here)
"""``bienphong serve --train-config``: webhook events queue rounds; a round trains in a child process and
the candidate is served only when its dev micro F1 is not worse. No Label Studio here: the pull is a stand-in
that writes seed sentences (tests/test_serve_server.py pulls from a real server)."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import pytest

from annotations.errors import BienphongError
from annotations.io import write_json
from inference.cli import main
from inference.serve import LiveModel
from tests.conftest import write_seed_corpus
from tests.test_serve import Running, _copy_model, spanning_model  # noqa: F401 (fixture)
from training.retrain import Retrainer

DEV_TEST = {"003_127b3199efa4b0f5", "004_f6ed4eb041fdd9d9"}  # the split of tests/conftest.py


def seed_pull(corpus: Path, calls: list | None = None):
    """A stand-in for the Label Studio pull: the train articles' seed sentences, as reviewed tasks."""

    def pull(project: str, output: Path) -> int:
        if calls is not None:
            calls.append(project)
        tasks = json.loads((corpus / "seeds.json").read_text(encoding="utf-8"))
        tasks = [t for t in tasks if t["data"]["article_id"] not in DEV_TEST]
        write_json(output, tasks)
        return len(tasks)

    return pull


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[int, Path]:
    """Seed corpora with tiny configs of 150 steps (a model that finds spans) and 12 (one that hardly does)."""
    return {steps: write_seed_corpus(tmp_path_factory.mktemp(f"steps{steps}"), steps=steps) for steps in (150, 12)}


def start(directory: Path, config: Path, train_dir: Path, pull, after: int = 1) -> tuple[LiveModel, Retrainer]:
    model = LiveModel(directory, interval=0.0)
    return model, Retrainer(model, config, train_dir, pull, after)


def test_a_better_model_is_promoted_atomically_a_worse_one_is_not(spanning_model, corpora, tmp_path):
    calls: list[str] = []
    rounds = tmp_path / "rounds"
    running = Running(
        _copy_model(spanning_model, tmp_path / "served"),
        interval=0.0,
        retrain=lambda model: Retrainer(model, corpora[150], rounds, seed_pull(corpora[150].parent, calls), after=1),
    )
    model, retrainer = running.model, running.retrainer
    try:
        old = model.model_version
        status, body = running.call("/webhook", {"action": "START_TRAINING", "project": {"id": 4, "title": "review"}})
        assert status == 200 and body["training"] == "queued"
        assert retrainer.wait_idle(900), "the round did not finish in 15 minutes"
        (done,) = retrainer.rounds
        assert calls == ["review"]
        assert done.state == "promoted", done.message
        assert done.candidate_dev_f1 >= done.served_dev_f1 and done.served_version == old
        assert model.current().model_version == done.candidate_version != old
        assert model.source == Path(done.directory) / "model"
        status, body = running.call("/predict", {"tasks": [{"id": 1, "data": {"text": "Đồn Biên phòng bắt 2 đối tượng."}}]})
        assert body["model_version"] == done.candidate_version
        health = running.call("/health")[1]
        assert health["model_version"] == done.candidate_version and health["training"]["last"]["state"] == "promoted"

        assert (rounds / "current").resolve() == (rounds / "round-001" / "model").resolve()
        assert not (rounds / "round-001" / "model" / "checkpoints").exists()
        (line,) = (rounds / "rounds.jsonl").read_text(encoding="utf-8").splitlines()
        assert json.loads(line)["state"] == "promoted" and json.loads(line)["pulled"] > 0
        assert LiveModel(rounds / "current").model_version == done.candidate_version  # a restart serves it

        # a round that trains 12 steps from the same data is worse than the served 150-step model: kept
        worse = Retrainer(model, corpora[12], rounds, seed_pull(corpora[12].parent), after=1)
        try:
            worse.notify("START_TRAINING", {"project": {"title": "review"}})
            assert worse.wait_idle(900)
            (kept,) = worse.rounds
        finally:
            worse.close()
        assert Path(kept.directory).name == "round-002" and kept.served_version == done.candidate_version
        assert kept.state == "kept" and kept.candidate_dev_f1 < kept.served_dev_f1, kept.message
        assert "worse than the served model" in kept.message
        assert model.current().model_version == done.candidate_version
        assert (rounds / "current").resolve() == (rounds / "round-001" / "model").resolve()
    finally:
        running.close()


def test_finished_annotations_queue_a_round_after_n(tiny_model, corpora, tmp_path):
    def failing_pull(project: str, output: Path) -> int:
        raise BienphongError(f"no project named {project!r}")

    model, retrainer = start(tiny_model, corpora[12], tmp_path / "rounds", failing_pull, after=2)
    try:
        annotation = {"project": {"id": 1, "title": "review"}, "annotation": {"id": 1, "was_cancelled": False}}
        assert retrainer.notify("ANNOTATION_CREATED", annotation) == "waiting: 1 of 2 finished annotations for the next round"
        skipped = dict(annotation, annotation={"id": 2, "was_cancelled": True})
        assert retrainer.notify("ANNOTATION_CREATED", skipped).startswith("waiting: 1 of 2")
        assert retrainer.notify("PROJECT_UPDATED", annotation) == "not a training event"
        assert retrainer.notify("ANNOTATION_UPDATED", {"annotation": {}}).startswith("ignored")
        assert retrainer.notify("ANNOTATION_UPDATED", annotation) == "queued"
        assert retrainer.wait_idle(60)
        (failed,) = retrainer.rounds
        assert failed.state == "failed" and "no project named 'review'" in failed.message
        assert model.current().model_version == LiveModel(tiny_model).model_version
        assert retrainer.state()["state"] == "idle" and retrainer.state()["new_annotations"] == 0
    finally:
        retrainer.close()


def test_a_training_crash_is_one_failed_round(tiny_model, corpora, tmp_path, caplog):
    caplog.set_level(logging.WARNING, "bienphong.serve")
    model, retrainer = start(tiny_model, corpora[12], tmp_path / "rounds", seed_pull(corpora[12].parent))
    # a child that dies as a crashed training would (the real child is exercised above)
    retrainer.child = [sys.executable, "-c", "import sys; print('RuntimeError: out of memory'); sys.exit(1)"]
    try:
        retrainer.notify("START_TRAINING", {"project": {"title": "review"}})
        assert retrainer.wait_idle(120)
        (failed,) = retrainer.rounds
        assert failed.state == "failed" and "training exited with 1 (RuntimeError: out of memory)" in failed.message
        assert "train.out" in failed.message and "the served model is unchanged" in caplog.text
        assert model.current().model_version == LiveModel(tiny_model).model_version
        # the next round gets a folder of its own
        retrainer.notify("START_TRAINING", {"project": {"title": "review"}})
        assert retrainer.wait_idle(120)
        assert [Path(r.directory).name for r in retrainer.rounds] == ["round-001", "round-002"]
    finally:
        retrainer.close()


def test_stopping_the_server_stops_a_running_training(tiny_model, corpora, tmp_path):
    model, retrainer = start(tiny_model, corpora[12], tmp_path / "rounds", seed_pull(corpora[12].parent))
    retrainer.child = [sys.executable, "-c", "import time; print('training', flush=True); time.sleep(600)"]
    retrainer.notify("START_TRAINING", {"project": {"title": "review"}})
    transcript = tmp_path / "rounds" / "round-001" / "train.out"
    deadline = time.monotonic() + 60
    while "training" not in (transcript.read_text(encoding="utf-8") if transcript.exists() else ""):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    started = time.monotonic()
    retrainer.close()
    assert time.monotonic() - started < 20 and not retrainer._thread.is_alive()
    (stopped,) = retrainer.rounds
    assert stopped.state == "failed" and "exited with -15" in stopped.message


def test_serve_checks_the_training_setup_before_listening(tiny_model, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    config = write_seed_corpus(tmp_path / "corpus")
    assert main(["serve", "--model", str(tiny_model), "--port", "0", "--train-config", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml" in capsys.readouterr().err
    assert main(["serve", "--model", str(tiny_model), "--port", "0", "--train-config", str(config)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no Label Studio API key" in error and "personal access token" in error
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "a-key-never-shown")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    argv = ["serve", "--model", str(tiny_model), "--port", "0", "--train-config", str(config)]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "cannot reach Label Studio at http://127.0.0.1:9" in error and "a-key-never-shown" not in error
