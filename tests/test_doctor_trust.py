"""A client secret goes only to the authorization server it belongs to.

The MCP server's metadata merely *names* a token endpoint; a server that names itself must
get neither an Authorization header nor a client_secret. The secret goes to the pool's own
login domain (pool known from AWS) or to the issuer the user named with --issuer, over
https (plain http only on loopback)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mcpauth_wizard.doctor.context import Context, Target
from mcpauth_wizard.doctor.run import run
from mcpauth_wizard.doctor.trust import secret_refusal
from tests.hostile import HostileServer, serve_as_own_issuer

SECRET = "s3cret-the-harvester-wants"


@pytest.fixture
def harvester() -> Iterator[HostileServer]:
    """An MCP server whose metadata names itself as the authorization server."""
    with HostileServer() as server:
        serve_as_own_issuer(server, token_error="invalid_client")
        yield server


def token_requests(server: HostileServer) -> list[Any]:
    return [r for r in server.requests if r.path.startswith("/token")]


def leaked(server: HostileServer) -> list[str]:
    found = []
    for request in server.requests:
        if "authorization" in request.headers:
            found.append(f"{request.method} {request.path}: Authorization header")
        if SECRET.encode() in request.body or b"client_secret" in request.body or SECRET in request.path:
            found.append(f"{request.method} {request.path}: secret in the request")
    return found


def target(server: HostileServer, **extra: Any) -> Target:
    return Target(url=f"{server.url}/mcp", platforms=("chatgpt",), clients={"chatgpt": "abc"},
                  secrets={"chatgpt": SECRET}, **extra)


def test_a_server_naming_itself_as_token_endpoint_never_receives_the_secret(harvester: HostileServer) -> None:
    report = run(target(harvester), None, None, timeout=3)

    assert token_requests(harvester), "the token probe ran (without the secret)"
    assert leaked(harvester) == []
    step = next(s for s in report.steps if s.id == "token.chatgpt")
    assert "secret withheld" in step.note and "--issuer" in step.note
    assert "TOKEN_CLIENT_AUTH_FAILED" not in {f.code for f in report.findings}
    assert SECRET not in json.dumps(report.as_dict())


def test_an_issuer_the_metadata_does_not_match_gets_no_secret(harvester: HostileServer) -> None:
    run(target(harvester, issuer="https://login.example.com"), None, None, timeout=3)

    assert token_requests(harvester) and leaked(harvester) == []


def test_the_issuer_the_user_named_receives_the_secret(harvester: HostileServer) -> None:
    """The positive side of the rule: --issuer names this server, so the probe authenticates."""
    run(target(harvester, issuer=harvester.url), None, None, timeout=3)

    sent = token_requests(harvester)
    assert sent and all(r.headers.get("authorization", "").startswith("Basic ") for r in sent)


def test_login_exchange_never_sends_the_secret_to_a_server_that_names_itself(
        harvester: HostileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """--login: the code exchange goes to the same token endpoint, under the same rule."""
    import dataclasses
    import socket

    import httpx

    from mcpauth_wizard.mcp.platforms import PLATFORMS

    with socket.socket() as probe:  # the doctor's listener on a free port, not its busy default
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(PLATFORMS, "doctor", dataclasses.replace(PLATFORMS["doctor"], default_port=port))

    def browser(url: str, deadline: float) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        callback = query["redirect_uri"].replace("http://localhost:", "http://127.0.0.1:", 1)
        httpx.get(f"{callback}?code=harvest-me&state={query['state']}&iss={harvester.url}", timeout=5)

    report = run(target(harvester, login_platform="chatgpt"), None, None, opener=browser, timeout=3)

    login = next(s for s in report.steps if s.id == "login")
    assert login.status == "fail", login.note
    assert "code exchange failed" in login.findings[0].message, login.findings  # not "cannot listen"  # the harvester refuses the code: that is all it gets
    # the exchange (the sign-in replaces the token probe of the platform it signs in as)
    assert any(b"code=harvest-me" in r.body for r in token_requests(harvester))
    assert leaked(harvester) == []


@pytest.mark.parametrize(("token_url", "allowed"), [
    ("https://my-login.auth.us-east-1.amazoncognito.com/oauth2/token", True),
    ("https://auth.example.com/oauth2/token", True),  # the pool's custom domain
    ("https://evil.example.com/oauth2/token", False),
    ("http://my-login.auth.us-east-1.amazoncognito.com/oauth2/token", False),  # not https
    ("https://other-login.auth.us-east-1.amazoncognito.com/oauth2/token", False),
], ids=["prefix domain", "custom domain", "another host", "plain http", "another pool's domain"])
def test_with_the_pool_known_only_its_login_domains_receive_the_secret(token_url: str, allowed: bool) -> None:
    ctx = Context(Target(url="https://mcp.example.com/mcp", platforms=(), region="us-east-1"), None)
    ctx.facts["pool"] = {"Id": "us-east-1_AbC", "Domain": "my-login", "CustomDomain": "auth.example.com"}
    ctx.facts["issuer"] = ctx.facts["as"] = None  # whatever the metadata says does not count

    refusal = secret_refusal(ctx, token_url)

    assert (refusal is None) is allowed, refusal


@pytest.mark.parametrize(("token_url", "allowed"), [
    ("https://as.example.com/token", True),
    ("http://as.example.com/token", False),
    ("http://127.0.0.1:9000/token", True),  # loopback may be plain http
    ("http://localhost:9000/token", True),
])
def test_with_an_issuer_named_https_is_required_except_on_loopback(token_url: str, allowed: bool) -> None:
    issuer = "https://as.example.com"
    ctx = Context(Target(url="https://mcp.example.com/mcp", platforms=(), issuer=issuer), None)
    ctx.facts["issuer"] = issuer
    ctx.facts["as"] = {"issuer": issuer}

    assert (secret_refusal(ctx, token_url) is None) is allowed


def test_without_pool_or_issuer_no_token_endpoint_is_trusted() -> None:
    ctx = Context(Target(url="https://mcp.example.com/mcp", platforms=()), None)
    ctx.facts["issuer"] = "https://as.example.com"
    ctx.facts["as"] = {"issuer": "https://as.example.com"}

    assert "--issuer" in (secret_refusal(ctx, "https://as.example.com/token") or "")


def test_issuer_must_be_an_https_url(run_process: Any) -> None:
    result = run_process("doctor", "https://mcp.example.com/mcp", "--issuer", "http://as.example.com")
    assert result.code == 2 and "--issuer" in result.err
    assert len(result.err.strip().splitlines()) == 1
