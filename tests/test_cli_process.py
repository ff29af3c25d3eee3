"""The real `mcpauth` command as a subprocess: happy path, bad input, fast start."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("boto3", "botocore", "authlib", "httpx", "questionary", "rich", "fastmcp", "joserfc", "moto")


@pytest.mark.parametrize("command", [[], ["init"], ["doctor"], ["add-callback"], ["sandbox", "up"]])
def test_help_imports_no_heavy_module(command: list[str]) -> None:
    code = (
        "import sys\n"
        "from mcpauth_wizard.cli import main\n"
        f"try:\n    main({[*command, '--help']!r})\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Usage: mcpauth" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_version(run_process) -> None:
    result = run_process("--version")
    assert result.code == 0
    assert "mcpauth" in result.out


def test_add_callback_happy_path_as_a_process(run_process, cognito, pool_with_client, aws) -> None:
    pool, client = pool_with_client
    result = run_process("add-callback", "inspector", "--pool-id", pool, "--client-id", client)
    assert result.code == 0, result.err
    assert "http://localhost:6274/oauth/callback" in result.out
    assert aws.log.mutating() == ["UpdateUserPoolClient"]

    listed = run_process("callbacks", "--json", "--pool-id", pool, "--client-id", client)
    urls = [c["url"] for c in json.loads(listed.out)["callbacks"]]
    assert "http://localhost:6274/oauth/callback/debug" in urls


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add-callback", "chatgtp"], "unknown platform 'chatgtp'; known: chatgpt"),
        (["add-callback", "http://example.com/cb"], "uses http:// on a non-loopback host"),
        (["add-callback", "https://example.com/cb#x"], "has a fragment"),
        (["add-callback", "claude-code"], "claude-code needs --port"),
        (["add-callback", "claude", "--pool-id", "not a pool"], "invalid user pool id"),
        (["add-callback", "claude", "--pool-id", "us-east-1_abc", "--client-id", "a/b"],
         "invalid app client id"),
        (["add-callback", "claude", "--region", "mars-1"], "unknown AWS region 'mars-1'"),
        (["callbacks", "--pool-id", "us-east-1_abc"], "no app client id"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_aws_call(run_process, aws, args, message) -> None:
    if "--region" in args:
        args = [*args, "--pool-id", "us-east-1_abc", "--client-id", "abc"]
    result = run_process(*args)
    assert result.code == 2, result.err
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err
    assert aws.log.operations() == []


def test_unknown_profile_is_bad_input(run_process, aws) -> None:
    result = run_process("callbacks", "--profile", "nope", "--pool-id", "us-east-1_abc",
                         "--client-id", "abc")
    assert result.code == 2
    assert "AWS profile 'nope' not found" in result.err


def test_no_credentials_is_one_line(run_process, aws, tmp_path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
           "AWS_EC2_METADATA_DISABLED": "true"}
    result = run_process("callbacks", "--pool-id", "us-east-1_abc", "--client-id", "abc", env=env)
    assert result.code == 1
    assert "no AWS credentials found" in result.err
    assert "Traceback" not in result.err
