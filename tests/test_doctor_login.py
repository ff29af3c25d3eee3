"""The doctor's loopback listener (`--login`) takes only its own sign-in's answer: a wrong
state, another path or another Host is answered and ignored without ending the wait;
iss is required when the server advertises it; oversized requests get 431; the token
response is read bounded. The authorization server here is a scripted loopback server
(tests/hostile.py) and the doctor registers itself (DCR), so the listener takes a free port."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.hostile import Answer, HostileServer, signing_in_server


def _json(data: Any, status: int = 200, **headers: str) -> Answer:
    return Answer(status, {"Content-Type": "application/json", **headers}, json.dumps(data).encode())


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with signing_in_server() as s:
        yield s


def _sign_in(server: HostileServer, browser: Callable[[str], None]) -> Any:
    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.doctor.run import make_target, run

    target = make_target(Project(), url=f"{server.url}/mcp", platforms="doctor", client_id=None,
                         secret_env=None, pool_id=None, gateway_id=None, token_env=None,
                         login_platform="")
    report = run(target, None, "no AWS in this test", opener=lambda url, deadline: browser(url))
    return next(s for s in report.steps if s.id == "login")


def _callback(authorize_url: str) -> tuple[str, str]:
    """(the redirect URI, the state) of the doctor's authorize request."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    return query["redirect_uri"], query["state"]


def test_listener_ignores_wrong_state_other_path_and_foreign_host_until_its_own_answer(
        server: HostileServer) -> None:
    """Before: an `error` callback with any state ended the sign-in (any local page could
    cancel it); now it, another path and a foreign Host are each answered and ignored."""
    seen: dict[str, int] = {}

    def browser(url: str) -> None:
        redirect, state = _callback(url)
        base = redirect.rsplit("/", 1)[0]
        seen["wrong state"] = httpx.get(f"{redirect}?error=access_denied&state=forged").status_code
        seen["other path"] = httpx.get(f"{base}/elsewhere?code=c&state={state}").status_code
        seen["foreign host"] = httpx.get(f"{redirect}?code=c&state={state}",
                                         headers={"Host": "evil.example:80"}).status_code
        seen["post"] = httpx.post(f"{redirect}?code=c&state={state}").status_code
        seen["sign-in"] = httpx.get(f"{redirect}?code=the-code&state={state}").status_code

    login = _sign_in(server, browser)
    assert seen == {"wrong state": 400, "other path": 404, "foreign host": 400, "post": 405,
                    "sign-in": 200}
    # the sign-in went on to the token exchange and the MCP call (this server answers 401 to any token)
    assert [f.code for f in login.findings] == ["MCP_TOKEN_REJECTED"], (login.note, login.findings)
    assert "registered client dcr-client by dynamic client registration" in login.note
    assert "stays on the authorization server" in login.note  # no RFC 7592 delete offered: named


def test_iss_is_required_when_the_server_advertises_it(server: HostileServer) -> None:
    metadata = json.loads(server.answers["/.well-known/oauth-authorization-server"].body)
    server.answers["/.well-known/oauth-authorization-server"] = _json(
        {**metadata, "authorization_response_iss_parameter_supported": True})

    def browser(url: str) -> None:
        redirect, state = _callback(url)
        httpx.get(f"{redirect}?code=the-code&state={state}")  # no iss

    login = _sign_in(server, browser)
    assert [f.code for f in login.findings] == ["LOGIN_ISS_MISMATCH"], (login.note, login.findings)
    assert "None" in login.findings[0].message and server.url in login.findings[0].message


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_oversized_request_line_or_headers_get_431_and_no_traceback(
        server: HostileServer, caplog: pytest.LogCaptureFixture) -> None:
    answers: dict[str, bytes] = {}

    def browser(url: str) -> None:
        redirect, state = _callback(url)
        port = urlsplit(redirect).port or 0
        answers["line"] = _raw(port, b"GET /callback?" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n")
        answers["headers"] = _raw(port, b"GET /callback HTTP/1.1\r\nHost: localhost\r\n"
                                  + b"X-Filler: " + b"b" * 4000 + b"\r\n" * 1 + (b"X-More: " + b"c" * 4000
                                                                                 + b"\r\n") * 5 + b"\r\n")
        httpx.get(f"{redirect}?code=the-code&state={state}")

    with caplog.at_level(logging.DEBUG, logger="asyncio"):
        login = _sign_in(server, browser)
    assert answers["line"].startswith(b"HTTP/1.1 431 "), answers["line"][:200]
    assert answers["headers"].startswith(b"HTTP/1.1 431 "), answers["headers"][:200]
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert [f.code for f in login.findings] == ["MCP_TOKEN_REJECTED"], (login.note, login.findings)


def test_token_response_is_read_bounded(server: HostileServer) -> None:
    """Before: authlib read the whole token response (a 400 MB body took ~800 MB)."""
    server.answers["/token"] = Answer(200, {"Content-Type": "application/json"}, b" " * 3_000_000)

    def browser(url: str) -> None:
        redirect, state = _callback(url)
        httpx.get(f"{redirect}?code=the-code&state={state}")

    login = _sign_in(server, browser)
    assert [f.code for f in login.findings] == ["LOGIN_ERROR"], (login.note, login.findings)
    assert "larger than 1,048,576 bytes after decoding" in json.dumps(login.findings[0].evidence)


def test_without_a_client_id_nor_registration_the_sign_in_says_what_to_pass(server: HostileServer) -> None:
    metadata = json.loads(server.answers["/.well-known/oauth-authorization-server"].body)
    del metadata["registration_endpoint"]
    server.answers["/.well-known/oauth-authorization-server"] = _json(
        {**metadata, "client_id_metadata_document_supported": True})

    login = _sign_in(server, lambda url: pytest.fail(f"no authorize request expected: {url}"))
    assert [f.code for f in login.findings] == ["LOGIN_NO_CLIENT"], (login.note, login.findings)
    message = login.findings[0].message
    assert "the doctor has no hosted document (--client-metadata-url)" in message
    assert "no dynamic client registration" in message
    assert "--client-id" in login.findings[0].fix


def test_a_client_id_of_another_authorization_server_is_accepted_in_url_mode() -> None:
    """Before: an Entra-style GUID or `pre-registered-client` exited 2 (Cognito's format)."""
    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.doctor.run import make_target

    kwargs: dict[str, Any] = dict(url="https://mcp.example.com/mcp", platforms="doctor",
                                  secret_env=None, gateway_id=None, token_env=None, login_platform="")
    for client_id in ("0b6a1f5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b", "pre-registered-client"):
        target = make_target(Project(), client_id=client_id, pool_id=None, **kwargs)
        assert target.clients == {"doctor": client_id} and target.login_platform == "doctor"
    with pytest.raises(BadInput, match="invalid app client id"):  # checked against a Cognito pool
        make_target(Project(), client_id="pre-registered-client", pool_id="us-east-1_AbC123", **kwargs)


@pytest.mark.parametrize(("resource", "url", "allowed"), [
    ("https://a.example/mcp", "https://a.example/mcp", True),
    # longer than the URL: RFC 9728 §3.3 says identical, and the MCP TypeScript SDK refuses it
    ("https://a.example/mcp/", "https://a.example/mcp", False),
    ("https://a.example/mcp", "https://a.example/mcp/", True),  # the URL under the resource
    ("https://a.example", "https://a.example/mcp", True),  # a root PRM names the origin (RFC 9728)
    ("https://a.example/", "https://a.example/mcp", True),
    ("https://A.EXAMPLE/mcp", "https://a.example/mcp", True),  # the origin compares without case
    ("https://a.example/mcp", "https://a.example/mcp/tools", True),  # a path ancestor
    ("https://a.example/mcp#x", "https://a.example/mcp", False),  # RFC 9728: no fragment
    ("https://a.example:8443/mcp", "https://a.example/mcp", False),  # another origin
    ("https://a.example/api/mcp", "https://a.example/mcp", False),
    ("https://a.example/m", "https://a.example/mcp", False),  # a prefix, not a path ancestor
    ("http://a.example/mcp", "https://a.example/mcp", False),
    ("https://evil.example/mcp", "http://localhost:8000/mcp", False),
])
def test_which_metadata_resource_a_client_accepts(resource: str, url: str, allowed: bool) -> None:
    from mcpauth_wizard.oauth.metadata import resource_allowed

    assert resource_allowed(resource, url) is allowed


@pytest.mark.parametrize(("supported", "secret", "registered", "method"), [
    (None, "s", None, "client_secret_basic"),  # RFC 8414: absent means client_secret_basic
    (["client_secret_post"], "s", None, "client_secret_post"),
    (["none"], "s", None, "none"),  # the server takes no secret: it is not sent
    (["client_secret_basic", "client_secret_post"], None, None, "none"),  # a public client
    (["client_secret_basic"], "s", "client_secret_post", "client_secret_post"),  # the registration says
])
def test_the_token_endpoint_auth_method_follows_the_server(supported: list[str] | None, secret: str | None,
                                                           registered: str | None, method: str) -> None:
    from mcpauth_wizard.doctor.registration import Registration, token_auth_method

    metadata = {"token_endpoint_auth_methods_supported": supported} if supported else {}
    chosen, why = token_auth_method(metadata, Registration("c", "dcr", secret, auth_method=registered))
    assert chosen == method and why
