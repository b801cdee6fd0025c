"""A Label Studio server over label-studio-sdk: timeouts, retries, one-line errors.

Connection errors, timeouts and HTTP 5xx/408/429 are retried (``tenacity``) with
exponential backoff; a retried write first checks whether the failed attempt
took effect, so retries never duplicate projects, tasks or predictions.

The API key goes to the server and nowhere else: it never appears in a message,
and neither do credentials written into the URL. It may be a legacy token or a
personal access token (Label Studio 1.23's default: a JWT refresh token, which the
SDK exchanges at ``/api/token/refresh/`` for short-lived access tokens, again
whenever one expires).

(Over 300 lines on purpose: every server call, its retry and its error message sit
together, so that no call escapes the timeout, the retries or the redaction.)
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from annotations.errors import BienphongError

DEFAULT_URL = "http://localhost:8080"
URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]+@")
TOKEN_HELP = (
    "a personal access token from Account & Settings -> Personal Access Token in the Label Studio"
    " web page (or a legacy token, where the organization still allows them)"
)


def redact_url(text: str) -> str:
    """``http://user:pass@host`` -> ``http://***@host``, wherever a URL occurs in ``text``."""
    return _USERINFO.sub(r"\1***@", text)


@dataclass(repr=False)
class Connection:
    """Where the server is and how patiently to talk to it; checked when made."""

    url: str
    api_key: str
    tries: int = 4  # attempts per request for transient failures
    backoff: float = 1.0  # seconds before the second attempt; doubles each time
    connect_timeout: float = 10.0
    read_timeout: float = 120.0  # per read: an import or export can keep the server busy a while

    def __post_init__(self) -> None:
        self.url = (self.url or "").strip().rstrip("/")
        self.api_key = (self.api_key or "").strip()  # a token file saved with CRLF
        if not self.api_key:
            raise BienphongError(f"no Label Studio API key: set {KEY_ENV} (or pass --api-key) to {TOKEN_HELP}")
        try:
            parts = urlsplit(self.url)
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise BienphongError(f"Label Studio URL {self.shown_url!r} must start with http:// or https:// and name a host")
        if any(char.isspace() or not char.isprintable() for char in self.url):
            raise BienphongError(f"Label Studio URL {self.shown_url!r} holds spaces or control characters")
        # An HTTP header carries the key: it must be printable ASCII (a key pasted with accents or a line break
        # would fail deep inside httpx). The key itself is never shown.
        if not (self.api_key.isascii() and self.api_key.isprintable()):
            raise BienphongError(
                f"the Label Studio API key ({KEY_ENV} or --api-key) holds characters that are not printable ASCII;"
                " copy the token again"
            )
        if not 1 <= self.tries <= 100:
            raise BienphongError(f"tries must be at least 1 and at most 100, not {self.tries}")
        # nan passes every comparison, and an infinite timeout is a hang: finite and bounded only.
        if not (0 <= self.backoff <= 3600 and 0 < self.connect_timeout <= 86400 and 0 < self.read_timeout <= 86400):
            raise BienphongError(
                "the backoff must be 0..3600 s and the timeouts more than 0 and at most 86400 s"
                f" (backoff {self.backoff:g}, connect {self.connect_timeout:g}, read {self.read_timeout:g})"
            )

    @property
    def key_kind(self) -> str:
        """What the key is, for messages: a personal access token, an access token or a legacy token."""
        claims = jwt_claims(self.api_key)
        if claims is None:
            return "a legacy token"
        return "a personal access token" if claims.get("token_type") == "refresh" else "a JWT access token"

    def check_expiry(self, now: float | None = None) -> None:
        """An expired JWT is refused here, by name: the SDK would send it as a legacy token and get a bare 401."""
        claims = jwt_claims(self.api_key)
        expires = claims.get("exp") if claims else None
        if isinstance(expires, (int, float)) and expires < (time.time() if now is None else now):
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires))
            raise BienphongError(f"the Label Studio API key ({self.key_kind}) expired on {when}; set {KEY_ENV} to {TOKEN_HELP}")

    @property
    def shown_url(self) -> str:
        return redact_url(self.url)

    def redact(self, text: str) -> str:
        return redact_url(text.replace(self.api_key, "***") if self.api_key else text)

    def __repr__(self) -> str:
        return (
            f"Connection(url={self.shown_url!r}, tries={self.tries}, backoff={self.backoff},"
            f" connect_timeout={self.connect_timeout}, read_timeout={self.read_timeout})"
        )


def jwt_claims(token: str) -> dict | None:
    """The claims of a JWT (unverified: only the server can check it), or None for a legacy token."""
    import jwt  # PyJWT, a dependency of label-studio-sdk

    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    except jwt.InvalidTokenError:
        return None
    return claims if isinstance(claims, dict) else None


def connection(
    url: str | None = None,
    api_key: str | None = None,
    *,
    tries: int = 4,
    backoff: float = 1.0,
    connect_timeout: float = 10.0,
    read_timeout: float = 120.0,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """A connection from explicit values, else ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY``."""
    environ = os.environ if environ is None else environ
    return Connection(
        url or environ.get(URL_ENV) or DEFAULT_URL,
        api_key or environ.get(KEY_ENV) or "",
        tries=tries,
        backoff=backoff,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        parts = [body.get("detail"), body.get("validation_errors")]
        parts = [part if isinstance(part, str) else json.dumps(part, ensure_ascii=False) for part in parts if part]
        text = ": ".join(parts) or json.dumps(body, ensure_ascii=False)
    else:
        text = str(body or "").strip()
        if text.lstrip().startswith("<"):
            text = "an HTML page"
    text = " ".join(text.split())  # one line, whatever the server sent
    return text if len(text) <= 300 else text[:300] + "..."


class Server:
    """A Label Studio server reached through the SDK, with retries and one-line errors."""

    task_page = 500  # tasks per page when listing a project

    def __init__(self, conn: Connection, httpx_client=None, sleep: Callable[[float], None] = time.sleep):
        # Imported here: the SDK takes a while to import, and `bienphong --help` should not wait for it.
        import httpx
        from label_studio_sdk import LabelStudio
        from label_studio_sdk.core.api_error import ApiError

        self.conn = conn
        self.sleep = sleep
        self.retry_statistics: dict = {}  # tenacity's, for the last call
        self._httpx = httpx
        self._api_error = ApiError
        # The timeouts live on the httpx client: the SDK's own `timeout` would replace both with one number.
        client = httpx_client or httpx.Client(
            timeout=httpx.Timeout(conn.read_timeout, connect=conn.connect_timeout), follow_redirects=True
        )
        conn.check_expiry()
        try:
            # SDK retries are off: ours re-check before repeating a write. With a personal access token the
            # SDK fetches an access token on the first request, through this client (same timeouts).
            self.client = LabelStudio(base_url=conn.url, api_key=conn.api_key, max_retries=0, httpx_client=client)
        except ApiError as error:  # a JWT without an expiry
            raise self._error("connecting", error) from None

    # -- retries and errors

    def _transient(self, error: BaseException) -> bool:
        httpx = self._httpx
        if isinstance(error, self._api_error):
            return error.status_code is not None and (error.status_code >= 500 or error.status_code in (408, 429))
        return isinstance(error, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))

    def _error(self, what: str, error: BaseException, tries: int = 1, missing: str | None = None) -> BienphongError:
        url, httpx = self.conn.shown_url, self._httpx
        attempts = f" after {tries} tries" if tries > 1 else ""
        if isinstance(error, self._api_error):
            status, detail = error.status_code, _detail(error.body)
            if status in (401, 403):
                message = (
                    f"Label Studio at {url} refused the API key (HTTP {status}: {detail}), {self.conn.key_kind};"
                    f" set {KEY_ENV} (or --api-key) to {TOKEN_HELP}"
                )
            elif status is None or status < 400:
                message = f"{what}: unexpected answer from {url} ({detail}); is this a Label Studio server?"
            elif status == 404 and missing:
                message = missing
            else:
                message = f"{what}: Label Studio at {url} answered HTTP {status}{attempts}: {detail}"
        elif isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
            message = (
                f"cannot reach Label Studio at {url}{attempts} ({error or type(error).__name__}); start the"
                f" server (docs/reviewing.md) or set {URL_ENV} / --url"
            )
        elif isinstance(error, ValueError):  # e.g. an HTML page where the token exchange expects JSON
            message = f"{what}: the answer from {url} is not JSON ({error}); is this a Label Studio server?"
        elif isinstance(error, httpx.TimeoutException):
            message = (
                f"{what}: Label Studio at {url} did not answer within {self.conn.read_timeout:g} s{attempts};"
                " is the server overloaded? (raise the read timeout)"
            )
        else:
            message = f"{what}: request to Label Studio at {url} failed{attempts} ({type(error).__name__}: {error})"
        return BienphongError(self._redact(" ".join(message.split())))

    def _redact(self, text: str) -> str:
        """The key, credentials in the URL and the access token the SDK got for a personal access token."""
        tokens = getattr(getattr(self, "client", None), "_client_wrapper", None)
        access = getattr(getattr(tokens, "_tokens_client", None), "_access_token", None)
        return self.conn.redact(text.replace(access, "***") if access else text)

    def call(
        self, what: str, action: Callable[[], Any], recheck: Callable[[], Any] | None = None, missing: str | None = None
    ) -> Any:
        """Run ``action``; retry transient failures with exponential backoff.

        Before a retry, ``recheck`` (if given) looks whether the failed attempt took
        effect after all; a result other than ``None`` is returned instead of retrying.
        ``missing`` is the message for an HTTP 404."""
        import tenacity

        attempts = 0

        def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and recheck is not None:
                done = recheck()
                if done is not None:
                    return done
            return action()

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.conn.tries),
            wait=tenacity.wait_exponential(multiplier=self.conn.backoff, min=0, max=60),
            retry=tenacity.retry_if_exception(self._transient),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except (self._api_error, self._httpx.HTTPError, json.JSONDecodeError) as error:
            raise self._error(what, error, attempts, missing) from None
        finally:
            self.retry_statistics = dict(retrying.statistics)

    # -- reading

    @staticmethod
    def _plain(item: Any) -> Any:
        return item.model_dump(mode="json", by_alias=True) if hasattr(item, "model_dump") else item

    def check(self) -> dict:
        """The current user; fails clearly when the server is unreachable or refuses the key."""
        return self._plain(
            self.call(
                "checking the API key",
                lambda: self.client.users.whoami(),
                missing=(
                    f"no Label Studio API at {self.conn.shown_url} (HTTP 404 for /api/current-user/whoami);"
                    f" check {URL_ENV} / --url"
                ),
            )
        )

    def _projects(self, title: str) -> list[dict]:
        matches = [self._plain(p) for p in self.client.projects.list(title=title, page_size=100)]
        return [p for p in matches if p.get("title") == title]

    def find_project(self, title: str) -> dict | None:
        def find():
            exact = self._projects(title)
            if len(exact) > 1:
                ids = ", ".join(str(p["id"]) for p in exact)
                raise BienphongError(f"{len(exact)} projects are named {title!r} (ids {ids}); rename all but one")
            return exact[0] if exact else None

        found = self.call(f"looking up project {title!r}", find)
        if found is None:
            return None
        return self._plain(self.call(f"reading project {title!r}", lambda: self.client.projects.get(id=found["id"])))

    def project_titles(self) -> list[str]:
        projects = self.call("listing projects", lambda: list(self.client.projects.list(page_size=100)))
        return [self._plain(p).get("title") for p in projects]

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

    # -- writing

    def create_project(self, title: str, label_config: str, description: str = "") -> dict:
        def recheck():
            return next(iter(self._projects(title)), None)

        return self._plain(
            self.call(
                f"creating project {title!r}",
                lambda: self.client.projects.create(title=title, label_config=label_config, description=description),
                recheck=recheck,
            )
        )

    def update_project(self, project_id: int, what: str, **fields) -> None:
        self.call(what, lambda: self.client.projects.update(id=project_id, **fields))

    def import_batch(self, project_id: int, batch: list[dict]) -> None:
        """Import tasks that carry ``data.task_key``."""
        pending = list(batch)

        def recheck():  # keep only the tasks the failed attempt did not create
            present = {(t.get("data") or {}).get("task_key") for t in self._all_tasks(project_id)}
            pending[:] = [task for task in pending if task["data"]["task_key"] not in present]
            return True if not pending else None

        self.call(
            "importing tasks",
            lambda: self.client.projects.import_tasks(id=project_id, request=pending, return_task_ids=True),
            recheck=recheck,
        )

    def add_prediction(self, task_id: int, prediction: dict) -> None:
        version = prediction["model_version"]

        def recheck():
            task = self._plain(self.client.tasks.get(id=task_id))
            versions = {p.get("model_version") for p in task.get("predictions") or [] if isinstance(p, dict)}
            return True if version in versions else None

        self.call(
            f"adding a prediction to task {task_id}",
            lambda: self.client.predictions.create(
                task=task_id, result=prediction["result"], score=prediction.get("score"), model_version=version
            ),
            recheck=recheck,
        )

    def export(self, project_id: int, wait: float = 300.0) -> Any:
        """Annotated tasks of a project, through an export snapshot (deleted afterwards)."""
        exports = self.client.projects.exports
        snapshot = self.call(
            "creating an export snapshot",
            lambda: exports.create(
                id=project_id,
                title="bienphong ls pull",
                task_filter_options={"annotated": "only"},
                annotation_filter_options={"usual": True, "ground_truth": True},
                serialization_options={"predictions": {"only_id": False}},
            ),
        )
        try:
            deadline = time.monotonic() + wait
            while snapshot.status != "completed":
                if snapshot.status == "failed":
                    raise BienphongError(
                        f"Label Studio at {self.conn.shown_url} could not build the export"
                        f" snapshot {snapshot.id} of project {project_id}; see the server log"
                    )
                if time.monotonic() > deadline:
                    raise BienphongError(
                        f"the export snapshot {snapshot.id} was not ready after {wait:.0f} s"
                        f" (status {snapshot.status!r}); try again later"
                    )
                self.sleep(0.5)
                snapshot = self.call("waiting for the export snapshot", lambda: exports.get(id=project_id, export_pk=snapshot.id))
            raw = self.call(
                "downloading the export",
                lambda: b"".join(exports.download(id=project_id, export_pk=snapshot.id, export_type="JSON")),
            )
        finally:
            try:
                exports.delete(id=project_id, export_pk=snapshot.id)
            except Exception:  # noqa: BLE001 - a leftover snapshot is harmless
                pass
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BienphongError(f"the export from {self.conn.shown_url} is not JSON ({error})") from None
