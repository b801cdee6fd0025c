"""Retraining behind ``bienphong serve --train-config CONFIG``: finished annotations in, a better model out.

Label Studio calls the backend's ``/webhook`` on every annotation event. Finished
(not skipped) annotations are counted; after ``--train-after N`` of them, or at once
when *Start Training* is clicked (``START_TRAINING``), a round is queued. A round,
in a background thread, one at a time (events during a round queue one more):

1. pulls the project's finished annotations as ``bienphong ls pull`` does (checked;
   a problem ends the round) into ``TRAIN_DIR/round-NNN/pulled.json``;
2. trains CONFIG with that file added to ``data.files`` in a child process
   (``python -m training.retrain``, niced), into ``round-NNN/model``;
3. scores the served model on the same dev split and promotes the candidate when
   its dev micro F1 is not worse: the served model is swapped in one assignment
   (a request sees the old model or the new one, never a mix), and
   ``TRAIN_DIR/current`` is re-pointed at it (a symlink, replaced atomically).

Every round is one line of ``TRAIN_DIR/rounds.jsonl``. A failed round (server down,
a bad annotation, training crashed) is logged and changes nothing.

Over 300 lines on purpose: one round (pull, train in a child process, compare, promote) and
its thread-safe bookkeeping; split, the locking would be harder to follow.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from annotations.errors import BienphongError

if TYPE_CHECKING:
    from inference.serve import LiveModel
    from training.config import TrainConfig

log = logging.getLogger("bienphong.serve")

FINISHED = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED")
START = "START_TRAINING"

# pull(project title, output file) -> number of tasks written; raises BienphongError
Pull = Callable[[str, Path], int]


@dataclass
class Round:
    number: int
    project: str
    directory: str
    started: float
    state: str = "running"  # running, promoted, kept, failed
    pulled: int = 0  # annotated tasks pulled
    candidate_version: str = ""
    candidate_dev_f1: float | None = None
    served_version: str = ""
    served_dev_f1: float | None = None
    seconds: float = 0.0
    message: str = ""


def retrain_config(config_path: Path, pulled: Path) -> TrainConfig:
    """CONFIG with the pulled file added to its training data (the same in the child and for the dev split)."""
    from training.config import load_config

    config = load_config(config_path)
    config.data.files.append(str(pulled.resolve()))
    return config


def pull_from(conn) -> Pull:
    """The Label Studio pull of ``bienphong ls pull``, through ``conn`` (legacy token or personal access token)."""

    def pull(project: str, output: Path) -> int:
        from inference.review.commands import pull as pull_project

        return pull_project(conn, output, project).summary.tasks

    return pull


def _finished(body: dict) -> int:
    """How many finished (not skipped) annotations an event reports."""
    annotation = body.get("annotation", body.get("annotations"))
    items = annotation if isinstance(annotation, list) else [annotation]
    return sum(1 for item in items if not (isinstance(item, dict) and item.get("was_cancelled")))


class Retrainer:
    """Counts webhook events, runs rounds in one background thread, promotes better models into ``model``."""

    child = [sys.executable, "-m", "training.retrain"]  # + CONFIG PULLED OUTPUT

    def __init__(self, model: LiveModel, config: Path, train_dir: Path, pull: Pull, after: int = 20):
        if after < 1:
            raise BienphongError(f"--train-after must be at least 1, not {after}")
        self.model, self.config, self.train_dir, self.pull, self.after = model, Path(config), Path(train_dir), pull, after
        self.rounds: list[Round] = []
        self.running: Round | None = None
        self._new = 0  # finished annotations since the last round was queued
        self._queued: str | None = None  # project of the next round
        self._process: subprocess.Popen | None = None
        self._stopping = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="bienphong-retrain", daemon=True)
        self._thread.start()

    # -- events

    def notify(self, action: str, body: dict) -> str:
        """Count a webhook event; returns what it did to training, for the webhook's answer."""
        project = body.get("project")
        title = project.get("title") if isinstance(project, dict) else None
        if action not in (*FINISHED, START):
            return "not a training event"
        if not isinstance(title, str) or not title:
            return "ignored: the event names no project title"
        with self._wake:
            if action == START:
                self._new = self.after
            else:
                self._new += _finished(body)
            if self._new < self.after:
                return f"waiting: {self._new} of {self.after} finished annotations for the next round"
            self._new, self._queued = 0, title
            self._wake.notify()
            return "queued after the running round" if self.running else "queued"

    def state(self) -> dict:
        with self._wake:
            last = self.rounds[-1] if self.rounds else None
            return {
                "state": "running" if self.running else ("queued" if self._queued else "idle"),
                "rounds": len(self.rounds),
                "new_annotations": self._new,
                "train_after": self.after,
                "last": asdict(last) if last else None,
            }

    def wait_idle(self, timeout: float) -> bool:
        """True once no round runs or waits (for tests and a clean shutdown)."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self.running or self._queued:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(min(left, 0.2))
            return True

    def close(self, timeout: float = 30.0) -> None:
        """Stop: the training child (ours, by its pid) is terminated and the thread joined."""
        with self._wake:
            self._stopping = True
            self._queued = None
            process = self._process
            self._wake.notify_all()
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
        self._thread.join(timeout)

    # -- rounds

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._queued and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                project, self._queued = self._queued, None
                self.running = Round(self._next_number(), project, "", time.time())
            finished = self._run(self.running)
            with self._wake:
                self.rounds.append(finished)
                self.running = None
                self._wake.notify_all()

    def _next_number(self) -> int:
        """After the rounds already in TRAIN_DIR, so that a restarted server never reuses a folder."""
        numbers = [int(m.group(1)) for p in self.train_dir.glob("round-*") if (m := re.fullmatch(r"round-(\d+)", p.name))]
        return max(numbers, default=0) + 1

    def _run(self, job: Round) -> Round:
        folder = self.train_dir / f"round-{job.number:03d}"
        job.directory = str(folder)
        log.info("retraining round %d: pulling the finished annotations of project %r", job.number, job.project)
        try:
            folder.mkdir(parents=True, exist_ok=False)
            pulled = folder / "pulled.json"
            job.pulled = self.pull(job.project, pulled)
            candidate = self._train(folder, pulled)
            self._decide(job, candidate, pulled)
        except BienphongError as error:
            job.state, job.message = "failed", str(error)
            log.warning("retraining round %d failed, the served model is unchanged: %s", job.number, error)
        except Exception as error:  # a bug: logged with its traceback; the server keeps serving
            job.state, job.message = "failed", f"{type(error).__name__}: {error}"
            log.exception("retraining round %d failed", job.number)
        job.seconds = round(time.time() - job.started, 1)
        self._record(job)
        return job

    def _train(self, folder: Path, pulled: Path) -> Path:
        output, transcript = folder / "model", folder / "train.out"
        command = [*self.child, str(self.config), str(pulled), str(output)]
        env = dict(os.environ)
        env.pop("LABEL_STUDIO_API_KEY", None)  # training needs no server: the key stays in this process
        with transcript.open("w", encoding="utf-8") as stream, self._wake:
            if self._stopping:
                raise BienphongError("the server is stopping")
            self._process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            code = self._process.wait()
        finally:
            with self._wake:
                self._process = None
        if code != 0:
            lines = transcript.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            last = lines[-1] if lines else "no output"
            raise BienphongError(f"training exited with {code} ({last}); see {transcript}")
        shutil.rmtree(output / "checkpoints", ignore_errors=True)  # the best model is saved; checkpoints are GBs
        return output

    def _decide(self, job: Round, candidate: Path, pulled: Path) -> None:
        from inference.evaluation import evaluate
        from training.data import load_splits

        metrics = json.loads((candidate / "metrics.json").read_text(encoding="utf-8"))
        if "dev" not in metrics:
            raise BienphongError(f"{self.config} has no dev split to compare the models on; nothing promoted")
        job.candidate_version, job.candidate_dev_f1 = metrics["model_version"], metrics["dev"]["micro"]["f1"]
        dev = load_splits(retrain_config(self.config, pulled))["dev"]
        tagger = self.model.load(candidate)  # before the lock: loading takes a while
        with self.model.using:  # no prediction runs while the served model is scored and maybe replaced
            served = self.model.current()
            job.served_version = served.model_version
            job.served_dev_f1 = evaluate(served, dev)["micro"]["f1"]
            if job.candidate_dev_f1 < job.served_dev_f1:
                job.state = "kept"
                job.message = f"dev micro F1 {job.candidate_dev_f1:.4f} is worse than the served model's {job.served_dev_f1:.4f}"
            else:
                self.model.promote(tagger, candidate)
                job.state = "promoted"
                job.message = f"dev micro F1 {job.candidate_dev_f1:.4f} (served model: {job.served_dev_f1:.4f})"
        if job.state == "promoted":
            self._point_current(candidate)
        log.info("retraining round %d: %s %s; %s", job.number, job.state, job.candidate_version, job.message)

    def _point_current(self, candidate: Path) -> None:
        """TRAIN_DIR/current -> the promoted model, for a restart with --model TRAIN_DIR/current."""
        link, temporary = self.train_dir / "current", self.train_dir / ".current.tmp"
        try:
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(candidate.relative_to(self.train_dir), target_is_directory=True)
            os.replace(temporary, link)
        except OSError as error:
            log.warning("could not point %s at %s (%s)", link, candidate, error)

    def _record(self, job: Round) -> None:
        try:
            with (self.train_dir / "rounds.jsonl").open("a", encoding="utf-8") as stream:
                stream.write(json.dumps(asdict(job), ensure_ascii=False) + "\n")
        except OSError as error:
            log.warning("could not record round %d in %s (%s)", job.number, self.train_dir, error)


def retrainer_for(model: LiveModel, config: Path, train_dir: Path | None, after: int) -> Retrainer:
    """Checked before the server listens: the config, and the Label Studio connection the rounds pull through
    (``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``: a legacy token or a personal access token)."""
    from inference.review.client import Server, connection
    from training.config import load_config

    load_config(config)
    conn = connection()
    Server(conn).check()
    if train_dir is None:  # MODEL-retrain; or, for --model TRAIN_DIR/current after a restart, that TRAIN_DIR
        here = model.directory.absolute()
        train_dir = here.parent if (here.parent / "rounds.jsonl").is_file() else here.with_name(here.name + "-retrain")
    if train_dir.exists() and not train_dir.is_dir():
        raise BienphongError(f"--train-dir {train_dir} is not a folder")
    return Retrainer(model, config, train_dir, pull_from(conn), after)


def main(argv: list[str] | None = None) -> int:
    """The child process of a round: ``python -m training.retrain CONFIG PULLED OUTPUT``."""
    config_path, pulled, output = (argv if argv is not None else sys.argv[1:])[:3]
    if hasattr(os, "nice"):
        os.nice(10)  # predictions in the server come first
    from training.trainer import train

    try:
        config = retrain_config(Path(config_path), Path(pulled))
        run_dir = train(config, Path(output), fresh=True)
    except BienphongError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 2
    metrics: dict[str, Any] = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    print(f"model {metrics['model_version']} saved in {run_dir}; dev micro F1 {metrics['dev']['micro']['f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
