"""`doctor --record FILE` and `mcpauth sandbox check-trace FILE`: a run recorded (redacted),
replayed against a fresh sandbox shaped like it, every divergence named. The traces kept in
tests/traces/ must all replay without divergence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import mcpauth

TRACES = Path(__file__).with_name("traces")


def check_trace(*args: str | Path) -> tuple[int, str]:
    """The command as a user runs it: its own process (its sandbox is its own moto)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mcpauth_wizard", "sandbox", "check-trace", *map(str, args)],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout + done.stderr


class Recorded:
    def __init__(self, folder: Path, record: Path, secret: str, token: str) -> None:
        self.folder, self.record, self.secret, self.token = folder, record, secret, token


@pytest.fixture(scope="module")
def recorded(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """init for ChatGPT (a secret) and Inspector, Inspector's callback removed, a valid token
    planted; `doctor --record` of that."""
    from mcpauth_wizard.core.project import load_project
    from mcpauth_wizard.sandbox.local import environment
    from mcpauth_wizard.sandbox.tokens import access_claims

    folder = tmp_path_factory.mktemp("record")
    seed = sandbox.seed()
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", "record-login",
                        "--gateway-id", seed.gateway_id, "--platform", "chatgpt,inspector", "--yes",
                        "--allow-breaking")
    assert code == 0, out
    assert mcpauth(sandbox, folder, "remove-callback", "inspector", "--yes")[0] == 0
    project = load_project(folder / "mcpauth.toml")
    secret = sandbox.boto("cognito-idp").describe_user_pool_client(
        UserPoolId=seed.pool_id, ClientId=project.clients["chatgpt"])["UserPoolClient"]["ClientSecret"]
    token = sandbox.signer.sign(access_claims(issuer=sandbox.issuer(seed.pool_id), client_id=project.clients["chatgpt"],
                                              sub="s", username="u", scope=f"openid {project.resource_url}/invoke",
                                              resource=None))
    with environment({"MY_TOKEN": token}):
        code, out = mcpauth(sandbox, folder, "doctor", "--token-env", "MY_TOKEN", "--record", str(folder / "run.json"))
    assert code == 1, out  # Inspector's callback is gone
    return Recorded(folder, folder / "run.json", secret, token)


def test_the_record_holds_the_run_and_no_secret(recorded: Recorded) -> None:
    text = recorded.record.read_text()
    data = json.loads(text)
    assert recorded.secret not in text and recorded.token not in text
    assert recorded.token.rsplit(".", 1)[1] not in text  # not even the signature
    assert data["summary"]["root_causes"] == ["COGNITO_CALLBACK_MISSING"]
    steps = {e["step"] for e in data["exchanges"]}
    assert {"discovery.challenge", "discovery.authorization_server", "authorize.inspector"} <= steps
    ops = {c["operation"] for c in data["aws_calls"]}
    assert {"DescribeUserPool", "DescribeUserPoolClient", "GetGateway"} <= ops
    described = [c for c in data["aws_calls"] if c["operation"] == "DescribeUserPoolClient"]
    assert all(c["answer"]["UserPoolClient"].get("ClientSecret") in (None, "<redacted>") for c in described)
    assert "CallbackURLs" in data["setup"]["clients"]["chatgpt"]
    token_probe = next(e for e in data["exchanges"] if e["step"] == "token.chatgpt")
    assert "client_secret" not in token_probe["request_body"]  # withheld: not AWS's login host
    assert token_probe["request_body"]["code"] == "<redacted>"


def test_check_trace_replays_a_sandbox_record_without_divergence(sandbox: Sandbox, recorded: Recorded) -> None:
    code, out = check_trace(recorded.record, "--json")
    result = json.loads(out[out.index("{"):])
    assert result["divergences"] == [] and code == 0, result
    assert result["replayed"] >= 10
    assert all("credential was redacted" in s for s in result["not_replayable"]), result["not_replayable"]


def test_check_trace_names_the_one_exchange_whose_status_changed(sandbox: Sandbox, recorded: Recorded,
                                                                 tmp_path: Path) -> None:
    data = json.loads(recorded.record.read_text())
    index, changed = next((i, e) for i, e in enumerate(data["exchanges"], 1)
                          if e["step"] == "discovery.challenge" and e["method"] == "POST")
    changed["status"] = 403
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(data))
    code, out = check_trace(altered, "--json")
    result = json.loads(out[out.index("{"):])
    assert code == 1
    assert result["divergences"] == [f"#{index} discovery.challenge POST {changed['url'].split('127.0.0.1:')[1][len(changed['url'].split('127.0.0.1:')[1].split('/')[0]):]}: "
                                     "status 403 recorded, 401 from the sandbox"], result


@pytest.mark.parametrize("content", ['{"mcpauth_record": 2, "exchanges": []}', "not json", "[]"])
def test_check_trace_refuses_what_is_not_a_record(sandbox: Sandbox, tmp_path: Path, content: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content)
    code, out = check_trace(path)
    assert code == 2 and len(out.strip().splitlines()) == 1 and "Traceback" not in out, out


def test_the_sandbox_agrees_with_every_kept_trace(sandbox: Sandbox, tmp_path: Path) -> None:
    """Every file of tests/traces/ in one check-trace run (as a contributor runs it:
    `mcpauth sandbox check-trace tests/traces/*.json`), each against its own sandbox."""
    traces = sorted(TRACES.glob("*.json"))
    code, out = check_trace(*traces, "--json")
    result = json.loads(out[out.index("{"):])
    assert [Path(t["file"]).name for t in result["traces"]] == [t.name for t in traces]
    for trace in result["traces"]:
        assert trace["divergences"] == [] and trace["replayed"] > 0, trace
    assert code == 0


def test_one_diverging_trace_among_several_fails_the_run(recorded: Recorded, tmp_path: Path) -> None:
    data = json.loads(recorded.record.read_text())
    changed = next(x for x in data["exchanges"] if x.get("status") == 200)
    changed["status"] = 418
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(data))
    code, out = check_trace(recorded.record, altered)
    assert code == 1, out
    assert "2 records replayed: 1 with divergences" in out
    assert "418" in out


def test_traces_folder_is_not_empty() -> None:
    assert sorted(TRACES.glob("*.json")), "tests/traces/ holds the sandbox's own traces"


def test_check_trace_sends_nothing_outside_the_sandbox(recorded: Recorded, tmp_path: Path) -> None:
    """A recorded exchange whose host is not the recorded setup's is listed, never sent."""
    from tests.hostile import HostileServer

    data = json.loads(recorded.record.read_text())
    with HostileServer() as elsewhere:
        data["exchanges"].append({"step": "discovery.challenge", "at_ms": 9999, "method": "GET",
                                  "url": f"{elsewhere.url}/.well-known/openid-configuration",
                                  "request_headers": {}, "status": 200, "headers": {}})
        altered = tmp_path / "elsewhere.json"
        altered.write_text(json.dumps(data))
        code, out = check_trace(altered, "--json")
        assert elsewhere.requests == []
    result = json.loads(out[out.index("{"):])
    assert code == 0 and result["divergences"] == [], result
    assert any("is not part of the recorded setup" in s for s in result["not_replayable"]), result


# --- traces from quoted sources: only what the source shows is compared ----------------------------

QUOTED_TRACES = [p for p in sorted(TRACES.glob("*.json"))
                 if any("quoted" in e for e in json.loads(p.read_text())["exchanges"])]


def test_traces_from_quoted_sources_name_their_source() -> None:
    assert len(QUOTED_TRACES) >= 6, "tests/traces/ holds traces built from quoted AWS answers"
    for path in QUOTED_TRACES:
        data = json.loads(path.read_text())
        source = data["source"]
        assert source["url"].startswith("https://") and source["quotes"] and source["checked"] == "2026-12-06", path
        assert all(e.get("quoted") for e in data["exchanges"]), f"{path.name}: every exchange says what is quoted"


def test_compare_reads_only_the_quoted_parts() -> None:
    from mcpauth_wizard.sandbox.check_trace import compare

    recorded = {"url": "https://login.example/oauth2/token", "status": 400, "headers": {},
                "body": {"error": "invalid_grant"}, "quoted": ["status"]}
    got = {"status": 400, "headers": {"access-control-allow-origin": "*", "www-authenticate": "Bearer"},
           "body": {"error": "invalid_client"}}
    assert compare(recorded, got, "#1") == []
    assert compare({**recorded, "quoted": ["status", "error"]}, got, "#1") == [
        "#1: OAuth error 'invalid_grant' recorded, 'invalid_client' from the sandbox"]
    assert compare({**recorded, "quoted": None}, got, "#1") == compare({k: v for k, v in recorded.items()
                                                                        if k != "quoted"}, got, "#1")
    assert len(compare({k: v for k, v in recorded.items() if k != "quoted"}, got, "#1")) == 3


def test_a_sorted_document_cut_after_a_field_is_compared_up_to_it() -> None:
    from mcpauth_wizard.sandbox.check_trace import compare

    recorded = {"url": "https://idp.example/pool/.well-known/openid-configuration",
                "body": {"authorization_endpoint": "a", "issuer": "i", "token_endpoint": "t"},
                "quoted": ["fields-until:token_endpoint"]}
    served = {"authorization_endpoint": "a", "issuer": "i", "token_endpoint": "t", "userinfo_endpoint": "u"}
    assert compare(recorded, {"status": 200, "body": served}, "#1") == []  # past the cut: not judged
    assert compare(recorded, {"status": 200, "body": {**served, "claims_supported": []}}, "#1") == [
        "#1: metadata field(s) claims_supported from the sandbox, not recorded"]
    assert compare({**recorded, "quoted": ["fields"]}, {"status": 200, "body": served}, "#1") == [
        "#1: metadata field(s) userinfo_endpoint from the sandbox, not recorded"]


def test_a_challenge_quoted_without_its_scheme_is_read_as_bearer() -> None:
    from mcpauth_wizard.sandbox.check_trace import compare

    recorded = {"url": "https://login.example/oauth2/userInfo", "status": 401,
                "headers": {"www-authenticate": 'error="invalid_token", error_description="expired"'},
                "quoted": ["status", "header:www-authenticate"]}
    assert compare(recorded, {"status": 401, "headers": {"www-authenticate": 'Bearer error="invalid_token"'}},
                   "#1") == []
    assert compare(recorded, {"status": 401, "headers": {"www-authenticate": "Bearer"}}, "#1") == [
        "#1: WWW-Authenticate error 'invalid_token' recorded, None from the sandbox"]


@pytest.mark.parametrize("quoted", [["status", "body"], "status", [], ["fields-until:"]])
def test_a_trace_quoting_an_unknown_part_is_refused(tmp_path: Path, quoted: object) -> None:
    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.sandbox.check_trace import load

    data = json.loads((TRACES / "aws-guide-userinfo-endpoint-errors.json").read_text())
    data["exchanges"][0]["quoted"] = quoted
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BadInput, match="quotes"):
        load(str(path))


# --- the registration mode travels with the record ---------------------------------------------------

@pytest.mark.parametrize(("dcr", "clients", "mode"), [
    (None, {"codex": "c1"}, "static"),
    ({"EnableStatus": "Disabled", "OpenDcrEnabled": True}, {}, "static"),
    ({"OpenDcrEnabled": True}, {}, "dcr"),
    ({"OpenDcrEnabled": True}, {"codex": "c1"}, "both"),
    ({"OpenDcrEnabled": True}, {"codex": "c1", "inspector": "c2"}, "static"),  # turned on beside them
])
def test_registration_mode_follows_the_recorded_pool(dcr: dict | None, clients: dict, mode: str) -> None:
    from mcpauth_wizard.sandbox.check_trace import registration_mode

    setup = {"pool": {"Id": "p", **({"DcrConfiguration": dcr} if dcr else {})}}
    assert registration_mode({"platforms": ["codex", "inspector"], "clients": clients}, setup) == mode


def test_check_trace_replays_a_self_registration_record_without_divergence(sandbox: Sandbox,
                                                                           tmp_path: Path) -> None:
    """init --registration both (Codex pre-registered, Inspector registers itself), doctor
    --probe-registration --record: the replay's sandbox registers clients too, and the probe's
    later requests name the id the sandbox handed out."""
    folder = tmp_path / "dcr"
    folder.mkdir()
    seed = sandbox.seed()
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", "dcr-record",
                        "--gateway-id", seed.gateway_id, "--platform", "codex,inspector",
                        "--registration", "both", "--yes", "--allow-breaking")
    assert code == 0, out
    code, out = mcpauth(sandbox, folder, "doctor", "--probe-registration", "--record", str(folder / "run.json"))
    data = json.loads((folder / "run.json").read_text())
    assert data["setup"]["pool"]["DcrConfiguration"]["OpenDcrEnabled"] is True
    assert list(data["target"]["clients"]) == ["codex"]
    probe = [e for e in data["exchanges"] if e["step"] == "registration.probe"]
    assert [e["status"] for e in probe] == [201, 302, 200], out  # registered, authorize, login page
    code, out = check_trace(folder / "run.json", "--json")
    result = json.loads(out[out.index("{"):])
    assert result["divergences"] == [] and code == 0, result
    assert result["replayed"] == len(data["exchanges"]), result
