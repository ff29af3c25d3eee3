"""`mcpauth explain CODE` and `--list`: made from the one finding table (`findings.CODES`)
and its explanations (`doctor/explanations.py`): every code is explained, nothing else is,
and what the explanation tells agrees with what the doctor says when it finds it.

The CLI-level tests run `mcpauth explain …` through `mcpauth_wizard.cli.main`; they need the
`explain` command in cli.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mcpauth_wizard.doctor.explanations import EXPLANATIONS, explain_markdown, explain_text, plain
from mcpauth_wizard.doctor.findings import CODES

ROOT = Path(__file__).resolve().parents[1]


def test_every_code_of_the_table_is_explained_and_nothing_else() -> None:
    assert sorted(set(CODES) - set(EXPLANATIONS)) == []  # every code has an explanation
    assert sorted(set(EXPLANATIONS) - set(CODES)) == []  # and there is none for another code
    source = (ROOT / "mcpauth_wizard" / "doctor" / "explanations.py").read_text(encoding="utf-8")
    table = next(n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.AnnAssign)
                 and getattr(n.target, "id", "") == "EXPLANATIONS")
    keys = [k.value for k in table.keys]  # a key written twice would silently replace the first
    assert len(keys) == len(set(keys)) == len(CODES)
    for code, item in EXPLANATIONS.items():
        assert len(item.why) > 60 and len(item.fix) > 15, code
        for label, url in item.sources:
            parts = urlsplit(url)
            assert parts.scheme == "https" and parts.netloc and label, (code, url)


def test_sources_are_the_pages_the_brief_allows() -> None:
    """AWS documentation, the RFC editor, the MCP specification and a few standards bodies."""
    hosts = {urlsplit(url).netloc for item in EXPLANATIONS.values() for _, url in item.sources}
    assert hosts <= {"docs.aws.amazon.com", "www.rfc-editor.org", "modelcontextprotocol.io",
                     "datatracker.ietf.org", "fetch.spec.whatwg.org"}, hosts
    for item in EXPLANATIONS.values():
        for label, url in item.sources:
            found = re.fullmatch(r"https://www\.rfc-editor\.org/rfc/rfc(\d+)(?:#section-([\d.]+))?", url) \
                if "rfc-editor" in url else None
            if found:  # the label names the RFC and section the link opens
                assert label.startswith(f"RFC {found.group(1)}"), (label, url)
                if found.group(2):
                    assert f"§{found.group(2)}" in label, (label, url)


def test_every_edit_of_a_client_or_a_gateway_says_the_update_replaces_it_whole() -> None:
    for code, item in EXPLANATIONS.items():
        cli = "\n".join(item.cli)
        if "update-user-pool-client" in cli:
            assert "UpdateUserPoolClient replaces the whole app client" in cli, code
            assert "describe-user-pool-client" in cli, code  # read first, send it all back
        if "update-gateway" in cli:
            assert "UpdateGateway takes the gateway whole" in cli and "get-gateway" in cli, code
            assert "--authorizer-configuration" in cli and '"customJWTAuthorizer"' in cli, code


def test_callback_and_gateway_explanations_use_the_aws_names() -> None:
    assert "CallbackURLs" in EXPLANATIONS["COGNITO_CALLBACK_MISSING"].why
    assert "callbackUrls" in EXPLANATIONS["COGNITO_CALLBACK_MISSING"].cdk
    mismatch = EXPLANATIONS["GATEWAY_DISCOVERY_URL_MISMATCH"]
    assert "authorizerConfiguration.customJWTAuthorizer.discoveryUrl" in mismatch.why
    cdk = EXPLANATIONS["GATEWAY_CLIENT_NOT_ALLOWED"].cdk
    for field in ("discoveryUrl", "allowedClients", "allowedAudience", "allowedScopes"):
        assert field in cdk


def _said_by_the_doctor() -> dict[str, set[str]]:
    """code → the `mcpauth COMMAND`s the doctor names in the messages and fixes it builds."""
    files = [*(ROOT / "mcpauth_wizard" / "doctor").glob("*.py"), ROOT / "mcpauth_wizard" / "mcp" / "platforms.py"]
    said: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            at = next((i for i, a in enumerate(node.args[:2])
                       if isinstance(a, ast.Constant) and a.value in CODES), None)
            if at is None:
                continue
            code = node.args[at].value
            for arg in [*node.args[at + 1:], *(k.value for k in node.keywords)]:
                for part in ast.walk(arg):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        said.setdefault(code, set()).update(re.findall(r"mcpauth ([a-z][a-z-]*)", part.value))
    return said


def test_the_explanation_names_the_commands_the_doctor_names_for_its_finding() -> None:
    said = _said_by_the_doctor()
    assert len(said) > 30 and "add-callback" in said["COGNITO_CALLBACK_MISSING"]  # the scan works
    for code, commands in said.items():
        item = EXPLANATIONS[code]
        text = " ".join([item.why, item.fix, *item.cli])
        missing = sorted(c for c in commands if f"mcpauth {c}" not in text)
        assert missing == [], (code, missing)


def test_what_doctor_fix_repairs_is_said_in_its_explanation() -> None:
    from mcpauth_wizard.doctor.fix import FIXABLE

    for code in FIXABLE:
        assert "`mcpauth doctor --fix" in EXPLANATIONS[code].fix, code


def test_the_text_and_markdown_views_hold_every_part() -> None:
    for code in CODES:
        text, markdown = explain_text(code), explain_markdown(code)
        item = EXPLANATIONS[code]
        assert text.startswith(f"{code} ({CODES[code][0]})\n{plain(CODES[code][1])}\n")
        assert plain(item.why) in text and plain(item.fix) in text
        for line in item.cli:  # AWS CLI lines whole, one per line, to copy
            assert f"\n    {line}\n" in text
        for command in re.findall(r"`([^`]+)`", item.fix):
            assert f"\n    {command}\n" in text
        for label, url in item.sources:
            assert f"{label}: {url}" in text and f"[{label}]({url})" in markdown
        assert "`" not in text.split("\n\n")[0]  # the heading is plain


# --- the command, through the CLI (needs `explain` in cli.py) ------------------------------

def test_explain_answers_every_code_of_the_table(run) -> None:
    for code, (severity, meaning) in CODES.items():
        result = run("explain", code)
        assert result.code == 0, (code, result.err)
        assert result.out == explain_text(code)
        assert result.out.startswith(f"{code} ({severity})\n{plain(meaning)}\n")
        assert "Why it happens" in result.out and "How to fix it" in result.out


@pytest.mark.parametrize("typed", ["cognito_callback_missing", "Cognito-Callback-Missing",
                                   " COGNITO_CALLBACK_MISSING "])
def test_a_code_may_be_typed_in_any_case(run, typed) -> None:
    result = run("explain", typed)
    assert result.code == 0, result.err
    assert result.out == explain_text("COGNITO_CALLBACK_MISSING")
    assert "UpdateUserPoolClient replaces the whole app client" in result.out
    assert "https://docs.aws.amazon.com/cognito/" in result.out


def test_list_prints_exactly_the_codes_of_the_table(run) -> None:
    result = run("explain", "--list")
    assert result.code == 0, result.err
    rows = [line.split(None, 2) for line in result.out.splitlines()]
    assert [r[0] for r in rows] == list(CODES)
    for code, severity, meaning in rows:
        assert severity == CODES[code][0]
        assert meaning == plain(CODES[code][1]).strip()


@pytest.mark.parametrize(("args", "named"), [
    (["explain", "NOT_A_CODE"], "'NOT_A_CODE'"),
    (["explain", "cognito_callback_mising"], "did you mean COGNITO_CALLBACK_MISSING"),
    (["explain"], "name a finding code"),
    (["explain", "AWS_CREDENTIALS", "--list"], "not both"),
])
def test_an_unknown_code_is_one_line_and_exit_2(run, args, named) -> None:
    result = run(*args)
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert named in lines[0] and "Traceback" not in result.err
    if args[1:2] and args[1] != "--list" and "not both" not in named:
        assert "mcpauth explain --list" in lines[0]
