"""Whatever a server sends, the doctor answers with a finding, never a traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mcpauth_wizard.doctor.challenge import bearer_params, parse_challenges
from mcpauth_wizard.doctor.context import Target
from mcpauth_wizard.doctor.run import run
from tests.hostile import Answer, HostileServer
from tests.test_doctor_honesty import check_schema

PRM = "/.well-known/oauth-protected-resource/mcp"


@given(st.text(max_size=400))
def test_the_challenge_parser_never_raises(header: str) -> None:
    parsed = parse_challenges(header)
    assert isinstance(parsed, dict)
    assert all(isinstance(v, dict) for v in parsed.values())


@given(st.dictionaries(st.sampled_from(["realm", "scope", "error", "resource_metadata"]),
                       st.text(alphabet=st.characters(blacklist_characters='"\\', blacklist_categories=("Cc", "Cs")),
                               max_size=40), max_size=4))
def test_the_challenge_parser_reads_what_was_written(params: dict[str, str]) -> None:
    header = "Bearer " + ", ".join(f'{k}="{v}"' for k, v in params.items())
    assert bearer_params(header) == params


@pytest.mark.parametrize(("header", "expected"), [
    ('Bearer error="invalid_token", scope="a b", resource_metadata="https://x/.well-known/oauth-protected-resource"',
     {"error": "invalid_token", "scope": "a b", "resource_metadata": "https://x/.well-known/oauth-protected-resource"}),
    ('Basic realm="x", Bearer resource_metadata="u"', {"resource_metadata": "u"}),
    ("bearer", {}),
    ('Bearer scope="unterminated', {"scope": "unterminated"}),
    ("Negotiate", None),
    ("", None),
])
def test_known_challenges(header: str, expected: dict[str, str] | None) -> None:
    assert bearer_params(header) == expected


@pytest.fixture(scope="module")
def server() -> Any:
    with HostileServer() as running:
        yield running


def doctor(server: HostileServer, timeout: float = 2.0) -> dict[str, Any]:
    target = Target(url=f"{server.url}/mcp", platforms=("chatgpt",), clients={"chatgpt": "abc"})
    report = run(target, None, None, timeout=timeout).as_dict()
    for step in report["steps"]:
        assert "internal error" not in step["note"], step
        assert "DOCTOR_STEP_FAILED" not in [f["code"] for f in step["findings"]], step
    return check_schema(report)


def codes(report: dict[str, Any]) -> set[str]:
    return {f["code"] for s in report["steps"] for f in s["findings"]}


def challenge(server: HostileServer, header: str) -> None:
    server.answers.clear()
    server.answers["/mcp"] = Answer(401, {"WWW-Authenticate": header})


def test_malformed_challenge_is_no_challenge(server: HostileServer) -> None:
    challenge(server, 'Bearr,,, ="=')
    assert "MCP_NO_CHALLENGE" in codes(doctor(server))


def test_non_json_metadata_is_prm_invalid(server: HostileServer) -> None:
    challenge(server, f'Bearer resource_metadata="{server.url}{PRM}"')
    server.answers[PRM] = Answer(200, {"Content-Type": "application/json"}, b"<html>not json</html>")
    assert "PRM_INVALID" in codes(doctor(server))


def test_huge_metadata_is_refused_not_read(server: HostileServer) -> None:
    challenge(server, f'Bearer resource_metadata="{server.url}{PRM}"')
    server.answers[PRM] = Answer(200, {"Content-Type": "application/json"},
                                 b'{"resource": "' + b"a" * 2_000_000 + b'"}')
    report = doctor(server)
    finding = next(f for s in report["steps"] for f in s["findings"] if f["code"] == "PRM_INVALID")
    assert "larger than" in finding["message"]


def test_redirect_loop_is_not_followed(server: HostileServer) -> None:
    challenge(server, f'Bearer resource_metadata="{server.url}{PRM}"')
    server.answers[PRM] = Answer(302, {"Location": PRM})
    report = doctor(server)
    assert "PRM_NOT_FOUND" in codes(report)


def test_timeout_is_unreachable(server: HostileServer) -> None:
    server.answers.clear()
    server.answers["/mcp"] = Answer(401, delay=1.5)
    report = doctor(server, timeout=0.5)
    finding = next(f for s in report["steps"] for f in s["findings"] if f["code"] == "MCP_UNREACHABLE")
    assert "timed out" in finding["message"]


def test_closed_connection_is_unreachable(server: HostileServer) -> None:
    server.answers.clear()
    server.answers["/mcp"] = Answer(close=True)
    report = doctor(server)
    assert "MCP_UNREACHABLE" in codes(report)


def test_nothing_listening_is_unreachable() -> None:
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    target = Target(url=f"http://127.0.0.1:{port}/mcp", platforms=("chatgpt",))
    report = run(target, None, None, timeout=1).as_dict()
    assert report["root_causes"] == ["MCP_UNREACHABLE"]
    statuses = {s["id"]: s["status"] for s in report["steps"]}
    assert statuses.pop("discovery.challenge") == "fail"
    assert set(statuses.values()) == {"skip"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10)
prm_documents = st.fixed_dictionaries({}, optional={
    "resource": json_values | st.just("URL"), "authorization_servers": json_values | st.just(["AS"]),
    "scopes_supported": json_values})
as_documents = st.fixed_dictionaries({}, optional={
    "issuer": json_values | st.just("AS"), "authorization_endpoint": json_values,
    "token_endpoint": json_values, "jwks_uri": json_values | st.just("JWKS"),
    "code_challenge_methods_supported": json_values, "registration_endpoint": json_values})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prm=prm_documents, metadata=as_documents, jwks=json_values)
@example(prm={"resource": "URL", "authorization_servers": ["×"]}, metadata={}, jwks=None)  # IDNA error
def test_any_metadata_gives_findings_not_tracebacks(server: HostileServer, prm: dict[str, Any],
                                                     metadata: dict[str, Any], jwks: Any) -> None:
    def fill(document: Any) -> Any:
        text = json.dumps(document).replace('"URL"', json.dumps(f"{server.url}/mcp")) \
            .replace('"AS"', json.dumps(f"{server.url}/as")).replace('"JWKS"', json.dumps(f"{server.url}/jwks"))
        return text.encode()

    challenge(server, f'Bearer resource_metadata="{server.url}{PRM}"')
    server.answers[PRM] = Answer(200, {"Content-Type": "application/json"}, fill(prm))
    server.answers["/as/.well-known/openid-configuration"] = Answer(200, {}, fill(metadata))
    server.answers["/jwks"] = Answer(200, {}, json.dumps(jwks).encode())
    report = doctor(server)
    assert report["summary"]["errors"] >= 0
