"""Personal access tokens (Label Studio 1.23's default API key: a JWT refresh token) against a scripted server.

The SDK exchanges the token at /api/token/refresh/ for an access token, sends that as ``Bearer``, and
exchanges again when it expires. tests/test_review_server.py does the same with a token a user created
on a real server.
"""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from annotations.errors import BienphongError
from inference.review.client import Connection, Server

SECRET = "signing-key-of-the-scripted-server"
USER = {"id": 1, "email": "reviewer@example.com"}


def token(kind: str, seconds: float) -> str:
    claims = {"token_type": kind, "exp": int(time.time() + seconds), "user_id": 1, "jti": f"{kind}-{time.time_ns()}"}
    return jwt.encode(claims, SECRET, algorithm="HS256")


class TokenServer:
    """/api/token/refresh/ hands out access tokens (lasting ``access_seconds``); whoami wants a live one."""

    def __init__(self, refresh: str, access_seconds: float = 300, refresh_answer=None):
        self.refresh, self.access_seconds, self.refresh_answer = refresh, access_seconds, refresh_answer
        self.issued: list[str] = []
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token/refresh/":
            if self.refresh_answer is not None:
                return self.refresh_answer
            assert request.read() == f'{{"refresh":"{self.refresh}"}}'.encode() or self.refresh in request.read().decode()
            self.issued.append(token("access", self.access_seconds))
            return httpx.Response(200, json={"access": self.issued[-1]})
        if request.url.path == "/api/current-user/whoami":
            self.seen.append(request.headers["authorization"])
            scheme, _, value = request.headers["authorization"].partition(" ")
            try:
                claims = jwt.decode(value, SECRET, algorithms=["HS256"])
            except jwt.InvalidTokenError:
                return httpx.Response(401, json={"detail": "Given token not valid for any token type"})
            assert scheme == "Bearer" and claims["token_type"] == "access"
            return httpx.Response(200, json=USER)
        return httpx.Response(404, json={"detail": "Not found."})


def server_for(key: str, fake: TokenServer) -> Server:
    conn = Connection("http://ls.test", key, tries=1)
    return Server(conn, httpx_client=httpx.Client(transport=httpx.MockTransport(fake)), sleep=lambda _: None)


def test_a_personal_access_token_is_exchanged_and_sent_as_bearer():
    pat = token("refresh", 3600 * 24 * 365)
    fake = TokenServer(pat)
    server = server_for(pat, fake)
    assert server.conn.key_kind == "a personal access token"
    assert server.check()["email"] == USER["email"] and server.check()["email"] == USER["email"]
    assert len(fake.issued) == 1 and fake.seen == [f"Bearer {fake.issued[0]}"] * 2  # one exchange, reused


def test_an_expired_access_token_is_exchanged_again():
    pat = token("refresh", 3600)
    fake = TokenServer(pat, access_seconds=2)
    server = server_for(pat, fake)
    server.check()
    time.sleep(3)  # the access token has expired: the next request gets a new one first
    server.check()
    assert len(fake.issued) == 2 and fake.seen == [f"Bearer {access}" for access in fake.issued]


def test_an_expired_personal_access_token_is_named_before_any_request():
    pat = token("refresh", -3600)
    fake = TokenServer(pat)
    with pytest.raises(BienphongError) as raised:
        server_for(pat, fake)
    message = str(raised.value)
    assert "API key (a personal access token) expired on" in message and "Personal Access Token" in message
    assert pat not in message and fake.seen == []


def test_a_revoked_personal_access_token_is_refused_by_name():
    pat = token("refresh", 3600)
    revoked = httpx.Response(401, json={"detail": "Token is blacklisted", "code": "token_not_valid"})
    server = server_for(pat, TokenServer(pat, refresh_answer=revoked))
    with pytest.raises(BienphongError) as raised:
        server.check()
    message = str(raised.value)
    assert "refused the API key (HTTP 401: Token is blacklisted), a personal access token" in message
    assert pat not in message and "\n" not in message


def test_a_token_exchange_that_gets_a_web_page_is_one_line():
    pat = token("refresh", 3600)
    page = httpx.Response(200, text="<html>a login page</html>", headers={"Content-Type": "text/html"})
    server = server_for(pat, TokenServer(pat, refresh_answer=page))
    with pytest.raises(BienphongError, match=r"is not JSON .*is this a Label Studio server\?"):
        server.check()


def test_a_legacy_token_is_still_sent_as_a_token():
    legacy = "0123456789abcdef0123456789abcdef01234567"
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json=USER)

    conn = Connection("http://ls.test", legacy)
    server = Server(conn, httpx_client=httpx.Client(transport=httpx.MockTransport(answer)))
    assert conn.key_kind == "a legacy token" and server.check() == USER and seen == [f"Token {legacy}"]
