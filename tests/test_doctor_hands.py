"""The doctor's hands: it never changes or deletes what it did not create, whatever a server
answers; it reads every answer within bounds; one local process can neither hold nor rob
its sign-in listener.

The hostile server here (tests/hostile.py, on loopback) feeds every server-controlled field
— the challenge, the metadata's endpoints, the registration answer — with ids of real
resources in the sandbox's account, and each test reads the account's state before and
after: a lying server changes nothing."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mcpauth_wizard.sandbox.local import environment as _environment
from mcpauth_wizard.sandbox.server import Sandbox
from tests.bombs import bombs
from tests.hostile import Answer, HostileServer, signing_in_server
from tests.test_doctor_registration import DcrFresh

REPO = Path(__file__).resolve().parents[1]


def _json(data: Any, status: int = 200, **headers: str) -> Answer:
    return Answer(status, {"Content-Type": "application/json", **headers}, json.dumps(data).encode())


def account_state(sandbox: Sandbox, pool_id: str, gateway_id: str) -> dict[str, Any]:
    """Everything the doctor could harm: the pool, each app client, resource servers, domain
    and the gateway, as AWS describes them."""
    cognito = sandbox.boto("cognito-idp")
    ids = sorted(c["ClientId"] for c in cognito.list_user_pool_clients(
        UserPoolId=pool_id, MaxResults=60)["UserPoolClients"])
    gateway = sandbox.boto("bedrock-agentcore-control").get_gateway(gatewayIdentifier=gateway_id)
    gateway.pop("ResponseMetadata", None)
    return {
        "pool": cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"],
        "clients": {i: cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=i)["UserPoolClient"]
                    for i in ids},
        "resource_servers": cognito.list_resource_servers(UserPoolId=pool_id, MaxResults=50)["ResourceServers"],
        "gateway": gateway,
    }


def liar(s: HostileServer, *, register: Callable[[Any], Answer], planted: dict[str, str]) -> None:
    """An MCP server whose challenge, metadata and registration answer name real resources."""
    prm = f"{s.url}/.well-known/oauth-protected-resource/mcp"
    s.answers.update({
        "/mcp": _json({"error": "invalid_token"}, 401, **{
            "WWW-Authenticate": f'Bearer resource_metadata="{prm}", scope="{planted["scope"]}"'}),
        "/.well-known/oauth-protected-resource/mcp": _json({
            "resource": f"{s.url}/mcp", "authorization_servers": [s.url],
            "scopes_supported": [planted["scope"]], "resource_name": planted["gateway_arn"]}),
        "/.well-known/oauth-authorization-server": _json({
            "issuer": s.url, "authorization_endpoint": f"{s.url}/authorize",
            "token_endpoint": f"{s.url}/token", "registration_endpoint": f"{s.url}/register",
            "jwks_uri": planted["jwks"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"]}),
        "/register": register,
        "/authorize": Answer(302, {"Location": "/login"}),
        "/login": Answer(200, {"Content-Type": "text/html"}, b"<form>sign in</form>"),
    })


def foreign_registration(client_id: str, sandbox: Sandbox, pool_id: str) -> Callable[[Any], Answer]:
    """A registration answer naming a real client, with RFC 7592 management pointed at AWS."""
    def answer(_: Any) -> Answer:
        return _json({"client_id": client_id, "client_name": "mcpauth doctor",
                      "registration_client_uri": f"{sandbox.endpoint_url}/?ClientId={client_id}"
                                                 f"&UserPoolId={pool_id}",
                      "registration_access_token": "planted-token"}, 201)
    return answer


@pytest.fixture
def setup(sandbox: Sandbox, tmp_path: Path) -> DcrFresh:
    return DcrFresh(sandbox, tmp_path)


def _planted(setup: DcrFresh) -> dict[str, str]:
    gateway = setup.agentcore.get_gateway(gatewayIdentifier=setup.seed.gateway_id)
    return {"scope": setup.scope, "gateway_arn": gateway["gatewayArn"],
            "jwks": f"{setup.sandbox.issuer(setup.pool)}/.well-known/jwks.json"}


def _doctor(sandbox: Sandbox, url: str, pool_id: str, *, login: str | None = None,
            probe: bool = False, browser: Callable[[str], None] | None = None) -> Any:
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.doctor.run import make_target, run

    with _environment(sandbox.aws_env()):
        target = make_target(Project(), url=url, platforms="cursor", client_id=None, secret_env=None,
                             pool_id=pool_id, gateway_id=None, token_env=None, login_platform=login)
        if probe:
            from dataclasses import replace

            target = replace(target, probe_registration=True)
        return run(target, AwsContext(), None,
                   opener=(lambda u, deadline: browser(u)) if browser else None)


def _denied(url: str) -> None:
    """The person at the browser declines: the callback carries access_denied."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    httpx.get(f"{query['redirect_uri']}?error=access_denied&state={query['state']}")


def test_a_registration_answer_naming_a_real_client_deletes_nothing_after_a_denied_sign_in(
        setup: DcrFresh) -> None:
    victim = setup.client("chatgpt")  # the client ChatGPT's connector uses
    before = account_state(setup.sandbox, setup.pool, setup.seed.gateway_id)
    setup.sandbox.control_plane.log.clear()
    with HostileServer() as s:
        liar(s, register=foreign_registration(victim, setup.sandbox, setup.pool), planted=_planted(setup))
        report = _doctor(setup.sandbox, f"{s.url}/mcp", setup.pool, login="cursor", browser=_denied)
        assert not [r for r in s.requests if r.method == "DELETE"]  # RFC 7592 only at its own origin
    assert setup.sandbox.control_plane.log.mutating() == []
    after = account_state(setup.sandbox, setup.pool, setup.seed.gateway_id)
    assert after == before
    codes = [f.code for f in report.findings]
    assert "REGISTRATION_ANSWER_FOREIGN_CLIENT" in codes, codes
    foreign = next(f for f in report.findings if f.code == "REGISTRATION_ANSWER_FOREIGN_CLIENT")
    assert victim in foreign.message and "REGULAR" in foreign.message
    assert report.errors >= 1


def test_the_registration_probe_never_deletes_the_client_a_lying_answer_names(setup: DcrFresh) -> None:
    victim = setup.client("claude")
    before = account_state(setup.sandbox, setup.pool, setup.seed.gateway_id)
    setup.sandbox.control_plane.log.clear()
    with HostileServer() as s:
        liar(s, register=foreign_registration(victim, setup.sandbox, setup.pool), planted=_planted(setup))
        report = _doctor(setup.sandbox, f"{s.url}/mcp", setup.pool, probe=True)
    assert setup.sandbox.control_plane.log.mutating() == []
    assert account_state(setup.sandbox, setup.pool, setup.seed.gateway_id) == before
    probe = next(s for s in report.steps if s.id == "registration.probe")
    assert [f.code for f in probe.findings] == ["REGISTRATION_ANSWER_FOREIGN_CLIENT"], probe
    assert f"kept {victim}" in probe.note


def test_a_client_the_run_really_registered_is_deleted_and_only_it(setup: DcrFresh) -> None:
    """The honest case of the same path: the liar forwards the doctor's own request to the
    pool's real registration endpoint, so AWS holds a client with this run's mark."""
    before = account_state(setup.sandbox, setup.pool, setup.seed.gateway_id)
    register_url = f"{setup.sandbox.login.domain_url(setup.project.domain)}/oauth2/register"

    def forward(received: Any) -> Answer:
        if not re.fullmatch(r"mcpauth doctor [0-9a-f]{12}", json.loads(received.body)["client_name"]):
            return _json({"error": "invalid_client_metadata"}, 400)  # the proxy probe's: not here
        answer = httpx.post(register_url, content=received.body,
                            headers={"Content-Type": "application/json"})
        return Answer(answer.status_code, {"Content-Type": "application/json"}, answer.content)

    setup.sandbox.control_plane.log.clear()
    with HostileServer() as s:
        liar(s, register=forward, planted=_planted(setup))
        report = _doctor(setup.sandbox, f"{s.url}/mcp", setup.pool, login="cursor", browser=_denied)
    assert setup.sandbox.control_plane.log.mutating() == ["DeleteUserPoolClient"]
    login = next(s for s in report.steps if s.id == "login")
    assert "deleted the registered client" in login.note, login.note
    assert not [f for f in report.findings if f.code.startswith("REGISTRATION_")]
    assert account_state(setup.sandbox, setup.pool, setup.seed.gateway_id) == before


# --- the ownership rule, row by row ------------------------------------------------------

NOW = datetime.now(UTC)


def _mark() -> Any:
    from mcpauth_wizard.doctor.ownership import Mark

    return Mark("mcpauth doctor 0a1b2c3d4e5f", NOW)


@pytest.mark.parametrize(("described", "verdict"), [
    ({"ClientName": "mcpauth doctor 0a1b2c3d4e5f", "CreationDate": NOW + timedelta(seconds=2),
      "ClientType": "DCR"}, "ours"),
    ({"ClientName": "mcpauth doctor 0a1b2c3d4e5f", "CreationDate": NOW + timedelta(seconds=2)},
     "ours"),  # a model without ClientType: name and time decide
    ({"ClientName": "mcpauth doctor 0a1b2c3d4e5f", "CreationDate": NOW - timedelta(minutes=4),
      "ClientType": "DCR"}, "ours"),  # within the clock skew
    ({"ClientName": "mcpauth doctor 0a1b2c3d4e5f", "CreationDate": NOW + timedelta(seconds=2),
      "ClientType": "REGULAR"}, "foreign"),  # made by hand or by init, whatever its name
    ({"ClientName": "mcpauth doctor 0a1b2c3d4e5f", "CreationDate": NOW - timedelta(days=3),
      "ClientType": "DCR"}, "foreign"),  # existed before the run asked
    ({"ClientName": "mcpauth doctor 0a1b2c3d4e5e", "CreationDate": NOW + timedelta(seconds=2),
      "ClientType": "DCR"}, "left"),  # another nonce: someone's registration, not this run's
    ({"ClientName": "mcpauth doctor", "CreationDate": NOW + timedelta(seconds=2),
      "ClientType": "DCR"}, "left"),  # the prefix alone proves nothing
    ({"ClientName": "mcpauth doctor 0a1b2c3d4e5f", "ClientType": "DCR"}, "left"),  # no time
    ({"ClientName": "mcpauth doctor 0a1b2c3d4e5f",
      "CreationDate": (NOW + timedelta(seconds=2)).replace(tzinfo=None), "ClientType": "DCR"},
     "ours"),  # a naive datetime is UTC
])
def test_ownership_rule(described: dict[str, Any], verdict: str) -> None:
    from mcpauth_wizard.doctor.ownership import not_ours

    why = not_ours(described, _mark())
    got = "ours" if why is None else "foreign" if why[1] else "left"
    assert got == verdict, why


# --- bounded reading ------------------------------------------------------------------------

BOMB_NAMES = list(bombs())


def _bomb_answer(name: str) -> Answer:
    headers, body = bombs()[name]
    answer = Answer(200, {"Content-Type": "application/json", **headers}, body)
    if name.startswith("deflate in gzip"):  # the second coding on a header line of its own
        answer.lines.append(("Content-Encoding", "gzip"))
    return answer


# The child's own peak (VmHWM: the high-water mark of this process image; ru_maxrss would
# carry the forked pytest's size across exec).
PEAK_SCRIPT = """
import re, sys
from mcpauth_wizard.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
finally:
    status = open("/proc/self/status").read()
    print("PEAK_KB", re.search(r"VmHWM:\\s+(\\d+)", status).group(1), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("name", BOMB_NAMES)
def test_a_decompression_bomb_ends_in_a_finding_within_300_mb(name: str) -> None:
    with HostileServer() as s:
        prm = f"{s.url}/.well-known/oauth-protected-resource/mcp"
        s.answers.update({
            "/mcp": _json({"error": "invalid_token"}, 401,
                          **{"WWW-Authenticate": f'Bearer resource_metadata="{prm}"'}),
            "/.well-known/oauth-protected-resource/mcp": _bomb_answer(name),
        })
        done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, "doctor", f"{s.url}/mcp", "--json"],
                              capture_output=True, text=True, timeout=120, cwd=REPO,
                              env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true"})
    peak_mb = int(done.stderr.split("PEAK_KB")[1].split()[0]) / 1024
    assert peak_mb < 300, (name, peak_mb)
    report = json.loads(done.stdout)
    found = [f for s in report["steps"] for f in s["findings"]
             if f["code"] in ("HTTP_RESPONSE_TOO_LARGE", "HTTP_RESPONSE_ENCODING")]
    assert found and prm in found[0]["message"], (name, report["steps"])
    assert done.returncode == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize(("headers", "body", "limit", "outcome"), [
    ([], b"x" * 100, 100, "read"),
    ([], b"x" * 101, 100, "HTTP_RESPONSE_TOO_LARGE"),
    (["gzip"], "gzip:100", 100, "read"),
    (["gzip"], "gzip:101", 100, "HTTP_RESPONSE_TOO_LARGE"),
    (["x-gzip"], "gzip:10", 100, "read"),
    (["deflate"], "zlib:100", 100, "read"),
    (["deflate"], "raw:100", 100, "read"),  # raw deflate, as some servers send it
    (["identity"], b"x" * 10, 100, "read"),
    (["gzip, identity"], "gzip:10", 100, "read"),
    (["gzip, gzip"], "gzip:10", 100, "HTTP_RESPONSE_ENCODING"),
    (["gzip", "deflate"], "gzip:10", 100, "HTTP_RESPONSE_ENCODING"),  # two header lines
    (["br"], b"x", 100, "HTTP_RESPONSE_ENCODING"),  # not asked for
    (["gzip"], b"not gzip at all", 100, "HTTP_RESPONSE_ENCODING"),
])
def test_bounded_decoding_rule(headers: list[str], body: Any, limit: int, outcome: str) -> None:
    import gzip as gz
    import zlib

    from mcpauth_wizard.doctor.bounds import Exceeded, Inflater, coding_of

    if isinstance(body, str):
        kind, size = body.split(":")
        data = b"y" * int(size)
        body = {"gzip": gz.compress(data), "zlib": zlib.compress(data),
                "raw": zlib.compress(data)[2:-4]}[kind]
    try:
        inflater = Inflater(coding_of(headers), limit)
        for i in range(0, len(body), 7):  # streamed in small pieces
            inflater.feed(body[i:i + 7])
        got = inflater.close()
    except Exceeded as exc:
        assert exc.bound.code == outcome, exc.bound
        return
    assert outcome == "read" and len(got) <= limit and set(got) <= {ord("x"), ord("y")}


def test_too_many_header_fields_are_not_read() -> None:
    with HostileServer() as s:
        s.answers["/.well-known/oauth-protected-resource/mcp"] = Answer(
            200, {"Content-Type": "application/json"}, b"{}",
            lines=[(f"X-Filler-{i}", "x") for i in range(150)])
        prm = f"{s.url}/.well-known/oauth-protected-resource/mcp"
        s.answers["/mcp"] = _json({}, 401, **{"WWW-Authenticate": f'Bearer resource_metadata="{prm}"'})
        from mcpauth_wizard.core.project import Project
        from mcpauth_wizard.doctor.run import make_target, run

        target = make_target(Project(), url=f"{s.url}/mcp", platforms="inspector", client_id=None,
                             secret_env=None, pool_id=None, gateway_id=None, token_env=None,
                             login_platform=None)
        report = run(target, None, "no AWS in this test")
    found = [f for f in report.findings if f.code == "HTTP_RESPONSE_TOO_LARGE"]
    assert found and "header fields" in found[0].message


def test_a_slow_answer_ends_at_the_deadline_not_when_the_server_pleases() -> None:
    """A server that sends its body a byte at a time, each within the read timeout."""
    import asyncio

    from mcpauth_wizard.doctor.context import Context, Target

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    def dribble() -> None:
        conn, _ = server.accept()
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        try:
            for _ in range(1000):
                conn.sendall(b" ")
                time.sleep(0.2)
        except OSError:
            pass
        conn.close()

    threading.Thread(target=dribble, daemon=True).start()

    async def fetch() -> Any:
        ctx = Context(Target(f"http://127.0.0.1:{port}/mcp", ()), None, timeout=1.0)
        try:
            return await ctx.fetch("GET", f"http://127.0.0.1:{port}/slow")
        finally:
            await ctx.close()

    started = time.monotonic()
    answer = asyncio.run(fetch())
    assert time.monotonic() - started < 5
    assert answer.error and "no whole answer within 2s" in answer.error
    server.close()


def test_a_redirect_from_https_down_to_plain_http_is_not_followed() -> None:
    import asyncio

    from mcpauth_wizard.doctor.context import Context, Exchange, Target

    async def follow(location: str, origin: str) -> Exchange | None:
        ctx = Context(Target("https://mcp.example/mcp", ()), None, timeout=1.0)
        try:
            return await ctx.follow(Exchange("GET", origin, 302, {"location": location}))
        finally:
            await ctx.close()

    refused = asyncio.run(follow("http://login.example/page", "https://as.example/authorize"))
    assert refused is not None and refused.error and "refused" in refused.error
    assert "refused" in (asyncio.run(follow("javascript:alert(1)", "https://as.example/a")).error or "")
    with HostileServer() as s:  # plain http to a loopback host is followed (the sandbox)
        s.answers["/page"] = Answer(200, body=b"ok")
        followed = asyncio.run(follow(f"{s.url}/page", "https://as.example/authorize"))
        assert followed is not None and followed.status == 200
        same = asyncio.run(follow("/page", f"{s.url}/authorize"))  # relative, same origin
        assert same is not None and same.status == 200


# --- the sign-in listener ---------------------------------------------------------------------

@pytest.fixture
def honest() -> Iterator[HostileServer]:
    """An authorization server that lets the doctor register and sign in (tokens opaque)."""
    with signing_in_server() as s:
        yield s


def _login_step(server: HostileServer, browser: Callable[[str], None], client_id: str | None = None) -> Any:
    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.doctor.run import make_target, run

    target = make_target(Project(), url=f"{server.url}/mcp", platforms="doctor", client_id=client_id,
                         secret_env=None, pool_id=None, gateway_id=None, token_env=None,
                         login_platform="")
    report = run(target, None, "no AWS in this test", opener=lambda url, deadline: browser(url))
    return next(s for s in report.steps if s.id == "login")


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_slow_header_and_flood_clients_neither_hold_nor_starve_the_listener(honest: HostileServer) -> None:
    from mcpauth_wizard.doctor.login import HEAD_DEADLINE, MAX_CONNECTIONS

    held: list[socket.socket] = []
    counted: dict[str, int] = {}

    def browser(url: str) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        redirect = urlsplit(query["redirect_uri"])
        address = (redirect.hostname, redirect.port)
        counted["before"] = _open_fds()
        for _ in range(300):  # idle connections that send nothing
            held.append(socket.create_connection(address))
        slow = socket.create_connection(address)  # one byte at a time, never finishing
        slow.sendall(b"G")
        held.append(slow)
        time.sleep(0.5)
        counted["flooded"] = _open_fds()
        slow.sendall(b"E")
        slow.settimeout(HEAD_DEADLINE + 5)  # the slow one is cut off at the head deadline
        counted["slow_answer"] = slow.recv(200)
        answer = httpx.get(f"{query['redirect_uri']}?code=the-code&state={query['state']}", timeout=10)
        counted["status"] = answer.status_code

    try:
        login = _login_step(honest, browser)
    finally:
        for s in held:
            s.close()
    assert counted["status"] == 200
    assert counted["slow_answer"].startswith(b"HTTP/1.1 408"), counted["slow_answer"]
    assert "signed in" in login.note, (login.note, login.findings)
    # the 301 client sockets are this process's; the listener keeps at most MAX_CONNECTIONS of its side
    assert counted["flooded"] - counted["before"] <= 301 + MAX_CONNECTIONS + 8, counted


def test_a_process_on_the_other_loopback_address_stops_the_sign_in_before_any_code(
        honest: HostileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A squatter on [::1]:PORT would receive the browser's redirect to localhost:PORT."""
    from mcpauth_wizard.doctor import login

    squatter = socket.socket(socket.AF_INET6)
    squatter.bind(("::1", 0))
    squatter.listen()
    port = squatter.getsockname()[1]
    monkeypatch.setattr(login, "loopback_redirects", lambda ctx, platform: [f"http://localhost:{port}/callback"])
    opened: list[str] = []
    try:
        step = _login_step(honest, opened.append, client_id="pre-registered-client")
        squatter.settimeout(0.2)
        with pytest.raises(TimeoutError):
            squatter.accept()  # nothing ever reached it
    finally:
        squatter.close()
    assert opened == []  # the browser was never sent anywhere
    assert [f.code for f in step.findings] == ["LOGIN_PORT_TAKEN"]
    assert f"[::1]:{port}" in step.findings[0].message and str(port) in step.findings[0].fix


def test_the_listener_binds_both_loopback_addresses_for_localhost() -> None:
    import asyncio

    from mcpauth_wizard.doctor.login import Listener

    async def listen() -> list[str]:
        listener = Listener()
        await listener.start(0, "localhost")
        try:
            return sorted(s.sockets[0].getsockname()[0] for s in listener.servers)
        finally:
            listener.close()

    assert asyncio.run(listen()) == ["127.0.0.1", "::1"]


def test_when_aws_will_not_answer_the_ownership_check_nothing_is_deleted_and_it_is_said(
        setup: DcrFresh) -> None:
    """DescribeUserPoolClient refused (AccessDenied): unproven, so kept, and the report names
    the client and the command that deletes it."""
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.core.project import Project
    from mcpauth_wizard.doctor.run import make_target, run
    from tests.aws_proxy import AwsProxy, once

    victim = setup.client("chatgpt")
    before = account_state(setup.sandbox, setup.pool, setup.seed.gateway_id)
    with HostileServer() as s, AwsProxy(setup.sandbox.endpoint_url,
                                        rule=once("DescribeUserPoolClient", "AccessDeniedException",
                                                  times=99)) as proxy:
        liar(s, register=foreign_registration(victim, setup.sandbox, setup.pool), planted=_planted(setup))
        with _environment({**setup.sandbox.aws_env(), "AWS_ENDPOINT_URL": proxy.url}):
            target = make_target(Project(), url=f"{s.url}/mcp", platforms="cursor", client_id=None,
                                 secret_env=None, pool_id=setup.pool, gateway_id=None, token_env=None,
                                 login_platform="cursor")
            report = run(target, AwsContext(), None, opener=lambda u, deadline: _denied(u))
    assert "DeleteUserPoolClient" not in proxy.calls
    assert account_state(setup.sandbox, setup.pool, setup.seed.gateway_id) == before
    left = [f for f in report.findings if f.code == "REGISTRATION_CLIENT_LEFT"]
    assert left and victim in left[0].message and "delete-user-pool-client" in left[0].fix
