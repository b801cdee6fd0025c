"""``bienphong serve``: a Label Studio ML backend that pre-annotates tasks with a run directory.

    bienphong serve --model runs/e5-small [--host 127.0.0.1] [--port 9090]
                    [--train-config configs/e5-small.yaml [--train-dir DIR] [--train-after N]]

Label Studio (Settings -> Model -> Connect model) calls:

- ``GET /health`` (and ``/``): ``{"status": "UP", "model_version": ...}``
- ``POST /setup``: ``{"model_version": ...}`` (Label Studio stores it and skips tasks that
  already have a prediction of that version)
- ``POST /predict`` with ``{"tasks": [{"id": ..., "data": {"text": ...}}, ...]}``:
  ``{"results": [{"model_version", "score", "result"}, ...], "model_version": ...}``, one
  prediction per task, in order, exactly what ``bienphong tasks`` writes for the same text
- ``POST /webhook``: annotation events; with ``--train-config`` finished annotations (or *Start
  Training*) queue a retraining round in the background (``training/retrain.py``, wired by the CLI), whose
  model is served when its dev micro F1 is not worse; without it they are logged only

Each task's ``data.text`` is tagged whole, as one text, so every offset points into the
exact text Label Studio holds. A text that is not NFC gets an empty result with an
``error`` instead: normalising it would silently move the offsets.

The model is reloaded when a newer one is put in its directory (``config.json`` or
``model.safetensors`` changed, or the stored model version), checked at most every few
seconds when a request needs the model. The server is the standard library's WSGI server
(threads), so the backend adds no dependency; ``Backend`` is a plain WSGI application.

Over 300 lines on purpose: the HTTP protocol, the live model and the command are one backend;
retraining is in ``training/retrain.py``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import unicodedata
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

from annotations.errors import BienphongError
from inference.options import positive_int

if TYPE_CHECKING:
    from inference.tagger import Tagger

log = logging.getLogger("bienphong.serve")


class Retrainer(Protocol):
    """What the backend needs of retraining (``training.retrain.Retrainer``: inference may not import training)."""

    config: Path
    after: int
    train_dir: Path

    def notify(self, action: str, body: dict) -> str: ...
    def state(self) -> dict: ...
    def close(self) -> None: ...


RELOAD_INTERVAL = 5.0  # seconds between checks of the model directory
MAX_BODY = 64 * 1024 * 1024  # bytes; a predict request of thousands of sentences is far below this


class RequestError(Exception):
    """A request the backend cannot use (answered with HTTP ``status`` and a JSON ``error``)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class LiveModel:
    """The served model; ``current()`` reloads it when a newer one has been put in its directory."""

    def __init__(self, directory: str | Path, interval: float = RELOAD_INTERVAL):
        self.directory = Path(directory)
        self.interval = interval
        self._lock = threading.Lock()
        self.using = threading.Lock()  # held while the model predicts: one batch at a time, torch uses every core
        self._stamp = self._read_stamp()
        self.tagger = self.load(self.directory)  # a bad directory is a BienphongError here, before the server listens
        self.source = self.directory  # where the served model came from (a retraining round, once promoted)
        self._checked = time.monotonic()

    @staticmethod
    def load(directory: Path) -> Tagger:
        from itertools import chain

        from inference.tagger import Tagger

        tagger = Tagger.load(directory)
        # The weights are memory-mapped from model.safetensors: a new model saved over it in place (what
        # `bienphong train --output-dir` does) would truncate the mapping and kill the server with SIGBUS.
        # A private copy makes the served model independent of the file.
        if tagger.model is not None:  # a torch model (other runtimes keep no mapping of this file)
            for tensor in chain(tagger.model.parameters(), tagger.model.buffers()):
                tensor.data = tensor.data.clone()
        return tagger

    def _read_stamp(self) -> tuple:
        """What changes when a model is replaced: the two files' mtime and size, and the stored version."""
        from inference.run_directory import WEIGHTS_FILE, read_settings

        parts: list[Any] = []
        for name in ("config.json", WEIGHTS_FILE):
            try:
                stat = (self.directory / name).stat()
                parts.append((stat.st_mtime_ns, stat.st_size))
            except OSError:
                parts.append(None)
        try:
            parts.append(read_settings(self.directory)[0].model_version)
        except BienphongError:
            parts.append(None)
        return tuple(parts)

    @property
    def model_version(self) -> str:
        return self.tagger.model_version

    def current(self) -> Tagger:
        with self._lock:
            if time.monotonic() - self._checked >= self.interval:
                self._reload_if_changed()
                self._checked = time.monotonic()
            return self.tagger

    def _reload_if_changed(self) -> None:
        stamp = self._read_stamp()
        if stamp == self._stamp:
            return
        try:
            tagger = self.load(self.directory)
        except BienphongError as error:
            # Probably a model still being written: keep serving the old one and try again at the next check.
            log.warning("keeping model version %s: the model in %s does not load (%s)", self.model_version, self.directory, error)
            return
        log.info("reloaded %s: model version %s -> %s", self.directory, self.model_version, tagger.model_version)
        self.tagger, self._stamp, self.source = tagger, stamp, self.directory

    def promote(self, tagger: Tagger, source: Path) -> None:
        """Serve ``tagger`` from now on: one assignment, so a request gets the old model or the new one.
        A newer model put in ``directory`` later still replaces it."""
        with self._lock:
            log.info("serving model version %s from %s (was %s)", tagger.model_version, source, self.model_version)
            self.tagger, self.source = tagger, Path(source)


def _task_text(task: Any, index: int) -> tuple[str | None, str]:
    """The text to tag, or None and why not."""
    name = f"task {task.get('id', f'#{index}')}" if isinstance(task, dict) else f"task #{index}"
    data = task.get("data") if isinstance(task, dict) else None
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return None, f"{name}: no data.text string to tag"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return None, f"{name}: data.text holds a lone surrogate at character {error.start}"
    if not unicodedata.is_normalized("NFC", text):
        return None, (
            f"{name}: data.text is not NFC-normalised Unicode; predictions would not point into the exact text,"
            " so normalise it to NFC before importing it into Label Studio"
        )
    return text, ""


def predict_tasks(tagger: Tagger, tasks: list) -> list[dict]:
    """One prediction per task, in order: the spans and scores ``bienphong tasks`` gives for the same text."""
    from annotations.labelstudio import span_results

    version = tagger.model_version
    results: list[dict] = [{} for _ in tasks]
    texts, positions = [], []
    for index, task in enumerate(tasks):
        text, problem = _task_text(task, index)
        if text is None:
            results[index] = {"model_version": version, "score": None, "result": [], "error": problem}
        else:
            texts.append(text)
            positions.append(index)
    for index, sentence in zip(positions, tagger.predict(texts) if texts else []):
        results[index] = {
            "model_version": version,
            "score": round(sentence.confidence, 4),
            "result": span_results(sentence.text, sentence.spans),
        }
    return results


class Backend:
    """The WSGI application: routes the ML backend protocol to ``LiveModel`` and ``predict_tasks``."""

    def __init__(self, model: LiveModel, retrainer: Retrainer | None = None):
        self.model = model
        self.retrainer = retrainer
        self.events: list[str] = []  # webhook actions received, in order

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = (environ.get("PATH_INFO") or "/").rstrip("/") or "/"
        try:
            status, body = self.route(method, path, environ)
        except RequestError as error:
            status, body = error.status, {"error": str(error)}
        except Exception:  # a bug: the log has the traceback, the client one JSON line
            log.exception("%s %s failed", method, path)
            status, body = 500, {"error": f"internal error in bienphong serve while answering {method} {path}; see its log"}
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [data]

    def route(self, method: str, path: str, environ: dict) -> tuple[int, dict]:
        routes = {"/": "GET", "/health": "GET", "/setup": "POST", "/predict": "POST", "/webhook": "POST"}
        if path not in routes:
            raise RequestError(f"no such endpoint: {path} (this backend has {', '.join(routes)})", 404)
        if method != routes[path]:
            raise RequestError(f"{path} takes {routes[path]}, not {method}", 405)
        if path in ("/", "/health"):
            health = {"status": "UP", "model_class": "bienphong", "model_version": self.model.model_version}
            if self.retrainer is not None:
                health["training"] = self.retrainer.state()
            return 200, health
        body = _json_body(environ)
        if path == "/setup":
            return 200, {"model_version": self.model.current().model_version}
        if path == "/predict":
            tasks = body.get("tasks")
            if not isinstance(tasks, list) or not tasks:
                raise RequestError("the request has no tasks: expected {'tasks': [{'data': {'text': ...}}, ...]}")
            with self.model.using:
                tagger = self.model.current()
                results = predict_tasks(tagger, tasks)
            return 200, {"results": results, "model_version": tagger.model_version}
        return self.webhook(body)

    def webhook(self, body: dict) -> tuple[int, dict]:
        action = body.get("action")
        if not isinstance(action, str) or not action:
            raise RequestError("a webhook needs an 'action' (ANNOTATION_CREATED, ANNOTATION_UPDATED, ...)")
        project = body.get("project")
        project_name = project.get("title", project.get("id")) if isinstance(project, dict) else project
        if self.retrainer is None:
            training = "not configured (start the backend with --train-config CONFIG to retrain on annotations)"
        else:
            training = self.retrainer.notify(action, body)
        log.info("webhook %s (project %s): training %s", action, project_name, training)
        self.events.append(action)
        return 200, {"status": "ok", "action": action, "training": training}


def _json_body(environ: dict) -> dict:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise RequestError("bad Content-Length header") from None
    if length > MAX_BODY:
        raise RequestError(f"request body of {length} bytes is over the limit of {MAX_BODY}", 413)
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    if not raw.strip():
        raise RequestError("the request body is empty: expected a JSON object")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f"the request body is not valid JSON ({error})") from None
    if not isinstance(body, dict):
        raise RequestError(f"the request body must be a JSON object, not {type(body).__name__}")
    return body


def make_server(model: LiveModel, host: str = "127.0.0.1", port: int = 9090, retrainer: Retrainer | None = None):
    """A threaded WSGI server for ``Backend(model, retrainer)``, bound but not yet serving (port 0 picks a free one)."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
    from wsgiref.simple_server import make_server as wsgi_server

    class ThreadingServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True  # a slow client never keeps the process alive

    class Handler(WSGIRequestHandler):
        def log_message(self, format: str, *args) -> None:  # through logging, not bare stderr
            log.info("%s %s", self.address_string(), format % args)

    try:
        return wsgi_server(host, port, Backend(model, retrainer), server_class=ThreadingServer, handler_class=Handler)
    except OSError as error:
        raise BienphongError(f"cannot listen on {host}:{port} ({error.strerror or error})") from None


def serve(
    directory: Path,
    host: str,
    port: int,
    interval: float = RELOAD_INTERVAL,
    make_retrainer: Callable[[LiveModel], Retrainer] | None = None,
) -> int:
    """Serve until Ctrl-C. ``make_retrainer`` (``training.retrain.retrainer_for``, given by the CLI, which alone
    may import training) adds retraining on finished annotations."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    model = LiveModel(directory, interval)
    retrainer = make_retrainer(model) if make_retrainer else None
    try:
        server = make_server(model, host, port, retrainer)
        url = f"http://{host}:{server.server_address[1]}"
        print(f"serving model version {model.model_version} from {directory} at {url} (Ctrl-C stops)", flush=True)
        print(f"connect it in Label Studio: project Settings -> Model -> Connect model, URL {url}", flush=True)
        if retrainer is not None:
            print(
                f"retraining with {retrainer.config} after every {retrainer.after} finished annotations (or Start Training);"
                f" rounds in {retrainer.train_dir}",
                flush=True,
            )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        if retrainer is not None:
            retrainer.close()  # a running training child is stopped with the server
    return 0


def add_command(commands, run: Callable) -> None:
    """Register ``serve`` on ``commands`` (an ``add_subparsers()`` result); nothing heavy is imported here."""
    sub = commands.add_parser(
        "serve",
        help="serve a model as a Label Studio ML backend (pre-annotation on demand)",
        description="Serve a trained model as a Label Studio ML backend: /health, /setup, /predict, /webhook."
        " Connect it in a project's Settings -> Model. A newer model put in --model is picked up by itself.",
    )
    sub.add_argument("--model", required=True, type=Path, help="trained model directory")
    sub.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    sub.add_argument("--port", type=int, default=9090, help="port (default 9090)")
    sub.add_argument(
        "--reload-interval", type=float, default=RELOAD_INTERVAL, help="seconds between checks for a newer model (default 5)"
    )
    sub.add_argument(
        "--train-config",
        type=Path,
        help="retrain with this config plus the project's finished annotations (pulled through LABEL_STUDIO_URL and"
        " LABEL_STUDIO_API_KEY); a new model is served when its dev micro F1 is not worse",
    )
    sub.add_argument("--train-dir", type=Path, help="where the retraining rounds go (default: MODEL-retrain next to --model)")
    sub.add_argument(
        "--train-after",
        type=positive_int,
        default=20,
        help="finished annotations that queue a retraining round (default 20; Start Training queues one at once)",
    )
    sub.set_defaults(run=run)
