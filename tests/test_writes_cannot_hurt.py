"""Writes that cannot hurt: every bad input is one line (what was wrong, what is accepted),
exit 2, no traceback and no AWS call that changes anything; a malformed MCP URL never
reaches AWS, a normalisable one is applied in its normal form; files are written whole
through a temporary file of their own and never through a link; two mcpauth changing the
same app client at once lose nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Result

INIT = ["init", "--new-pool", "users", "--domain", "users-login", "--platform", "claude", "--yes"]
URL = "https://mcp.example.com/mcp"


def _one_line(result: Result, *words: str) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mcpauth: error: "), result.err
    assert "Traceback" not in result.err + result.out
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize(("setup", "args", "words"), [
    ("nested", ["show"], ["nests tables or arrays too deeply"]),
    ("nested", [*INIT, "--mcp-url", URL], ["nests tables or arrays too deeply"]),
    ("none", ["show", "--write", "/dev/null"], ["--write /dev/null is not a folder"]),
    ("none", ["clients", "prune", "--registered", "--pool-id", "us-east-1_AbC123", "--older-than",
              "99999999999d"],
     ["longer than any app client has existed", "accepted:"]),
    ("endpoint", ["clients", "--pool-id", "us-east-1_AbC123"], ["is not a URL", "accepted: http(s)://"]),
    ("attempts", ["clients", "--pool-id", "us-east-1_AbC123"], ["AWS_MAX_ATTEMPTS 'abc'", "accepted:"]),
    ("retry-mode", ["clients", "--pool-id", "us-east-1_AbC123"], ["AWS_RETRY_MODE 'fast'", "accepted:"]),
    ("dangling", [*INIT, "--mcp-url", URL], ["is a symbolic link", "accepted: a regular file"]),
    ("folder", [*INIT, "--mcp-url", URL], ["cannot be read", "accepted: a TOML file"]),
    ("none", [*INIT, "--mcp-url", "https://h.example/m%zz"], ["invalid percent-escape '%zz'"]),
    ("none", [*INIT, "--mcp-url", "https://h.example/m%00"], ["encoded control character %00"]),
    ("none", [*INIT, "--mcp-url", "https://h.example/m%"], ["invalid percent-escape '%'"]),
    ("none", [*INIT, "--mcp-url", URL, "--first-user", "ana@example"], ["invalid email 'ana@example'"]),
    ("none", [*INIT, "--mcp-url", URL, "--first-user", "ana..b@example.com"], ["invalid email"]),
])
def test_bad_input_is_one_line_exit_2_and_no_aws_call(run, aws, tmp_path: Path, monkeypatch, setup: str,
                                                      args: list[str], words: list[str]) -> None:
    project = tmp_path / "mcpauth.toml"
    if setup == "nested":
        project.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    elif setup == "dangling":
        project.symlink_to(tmp_path / "nowhere" / "mcpauth.toml")
    elif setup == "folder":
        project.mkdir()
    elif setup == "endpoint":
        monkeypatch.setenv("AWS_ENDPOINT_URL", "ht!tp://x")
    elif setup == "attempts":
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "abc")
    elif setup == "retry-mode":
        monkeypatch.setenv("AWS_RETRY_MODE", "fast")
    _one_line(run(*args), *words)
    assert aws.log.mutating() == []
    if "init" in args and setup != "nested":
        assert aws.log.calls == [] or all(not c.mutating for c in aws.log.calls)


def test_a_malformed_mcp_url_makes_no_aws_call_at_all(run, aws) -> None:
    for url in ("https://h.example/m%zz", "https://h.example/a%00b", "https://h.example/%G1"):
        _one_line(run(*INIT, "--mcp-url", url), "invalid MCP URL")
    assert aws.log.calls == []


def test_a_normalisable_mcp_url_is_applied_in_its_normal_form_and_said(run, aws, cognito) -> None:
    result = run(*INIT, "--mcp-url", "HTTPS://MCP.EXAMPLE.COM:443/tools/../mcp")
    assert result.code == 0, result.err
    assert f"to {URL} (RFC 3986" in result.out + result.err
    pool = cognito.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    servers = cognito.list_resource_servers(UserPoolId=pool, MaxResults=10)["ResourceServers"]
    assert [s["Identifier"] for s in servers] == [URL]


@pytest.mark.parametrize(("url", "normal"), [
    ("https://mcp.example.com/mcp", "https://mcp.example.com/mcp"),
    ("HTTPS://MCP.Example.COM/mcp", "https://mcp.example.com/mcp"),  # path case kept
    ("https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp"),
    ("https://mcp.example.com:8443/mcp", "https://mcp.example.com:8443/mcp"),
    ("http://localhost:80/mcp", "http://localhost/mcp"),
    ("https://mcp.example.com/a/./b/../mcp", "https://mcp.example.com/a/mcp"),
    ("https://mcp.example.com/MCP/../..", "https://mcp.example.com/"),
    ("https://mcp.example.com/%7euser/%2fmcp", "https://mcp.example.com/~user/%2Fmcp"),
])
def test_rfc_3986_normal_form_rule(url: str, normal: str) -> None:
    from mcpauth_wizard.provision.spec import normal_form

    assert normal_form(url) == normal


def test_init_in_a_folder_it_cannot_write_changes_nothing_in_aws(run, aws, tmp_path: Path) -> None:
    """As root, permissions do not stop a write: an immutable folder (chattr +i) does."""
    if shutil.which("chattr") is None:
        assert not os.environ.get("CI"), "chattr (e2fsprogs) is missing"
        pytest.skip("no chattr here")
    frozen = subprocess.run(["chattr", "+i", str(tmp_path)], capture_output=True, text=True)
    assert frozen.returncode == 0, frozen.stderr
    try:
        _one_line(run(*INIT, "--mcp-url", URL), "cannot write in", "nothing was changed in AWS")
    finally:
        subprocess.run(["chattr", "-i", str(tmp_path)], check=True)
    assert aws.log.calls == []


def test_files_are_never_written_through_a_planted_link(run, aws, tmp_path: Path) -> None:
    from mcpauth_wizard.core.project import Project, save_project

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (tmp_path / "mcpauth.toml.tmp").symlink_to(victim)  # the old fixed temporary name
    save_project(Project(user_pool_id="us-east-1_AbC123"))
    assert victim.read_text() == "keep me\n"
    assert (tmp_path / "mcpauth.toml").is_file() and not (tmp_path / "mcpauth.toml").is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".mcpauth.toml.")] == []

    (tmp_path / "out.yaml").symlink_to(victim)
    result = run("export", "cloudformation", "--output", "out.yaml", "--pool-id", "us-east-1_AbC123")
    _one_line(result, "is a symbolic link")
    assert victim.read_text() == "keep me\n"


def test_a_special_file_is_never_overwritten(tmp_path: Path) -> None:
    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.core.files import write_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(BadInput, match="is a special file"):
        write_atomic(fifo, "x", "the file")
    with pytest.raises(BadInput, match="does not exist"):
        write_atomic(tmp_path / "no" / "file", "x", "the file")


def test_two_add_callbacks_at_once_lose_no_url(aws, cognito, pool_with_client, tmp_path: Path) -> None:
    """Four rounds of two processes adding a URL each to the same client at the same moment,
    through a proxy that slows every AWS call and holds the second one's write (0.6 s):
    without a lock the first reads, writes and reads its URL back, then the held write (made
    from a read without that URL) erases it, and both say "every other setting kept". The
    hold puts the writes in that order every round, so a few rounds show what ten did."""
    from tests.aws_proxy import AwsProxy

    pool, client = pool_with_client
    env = {**os.environ, "COLUMNS": "200"}

    def hold(operation: str, body: bytes) -> float:
        return 0.6 if operation == "UpdateUserPoolClient" and b"-1.example.com" in body else 0.0

    with AwsProxy(aws.url, delay_s=0.05, hold=hold) as proxy:
        env["AWS_ENDPOINT_URL"] = proxy.url
        for round_ in range(4):
            urls = [f"https://app{round_}-{i}.example.com/callback" for i in range(2)]
            outcomes: list[Any] = [None, None]

            def add(i: int, urls: list[str] = urls, outcomes: list[Any] = outcomes) -> None:
                outcomes[i] = subprocess.run(
                    [sys.executable, "-m", "mcpauth_wizard", "add-callback", urls[i], "--pool-id", pool,
                     "--client-id", client, "--yes"], capture_output=True, text=True, env=env, timeout=120)

            threads = [threading.Thread(target=add, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            registered = cognito.describe_user_pool_client(UserPoolId=pool, ClientId=client)[
                "UserPoolClient"]["CallbackURLs"]
            for i in range(2):
                assert outcomes[i].returncode == 0, outcomes[i].stderr
                assert urls[i] in registered, (round_, i, registered)


BAD_FLAGS = [
    [*INIT, "--mcp-url", URL, "--port", "claude-code=abc"],
    [*INIT, "--mcp-url", URL, "--port", "claude-code=0"],
    [*INIT, "--mcp-url", URL, "--port", "claude-code=70000"],
    [*INIT, "--mcp-url", URL, "--port", "nosuch=8765"],
    [*INIT, "--mcp-url", URL, "--port", "8765"],
    ["init", "--new-pool", "users", "--domain", "Bad_Domain", "--platform", "claude", "--mcp-url", URL, "--yes"],
    ["init", "--new-pool", "", "--domain", "users-login", "--platform", "claude", "--mcp-url", URL, "--yes"],
    ["init", "--new-pool", "x" * 200, "--domain", "users-login", "--platform", "claude", "--mcp-url", URL, "--yes"],
    ["init", "--new-pool", "users", "--domain", "users-login", "--platform", "nosuch", "--mcp-url", URL, "--yes"],
    ["init", "--new-pool", "users", "--domain", "users-login", "--platform", "", "--mcp-url", URL, "--yes"],
    ["init", "--pool-id", "not-a-pool", "--platform", "claude", "--mcp-url", URL, "--yes"],
    ["init", "--gateway-id", "!!", "--pool-id", "us-east-1_AbC123", "--platform", "claude", "--yes"],
    [*INIT, "--mcp-url", "ftp://mcp.example.com/mcp"],
    [*INIT, "--mcp-url", "http://mcp.example.com/mcp"],
    [*INIT, "--mcp-url", "https://user:pw@mcp.example.com/mcp"],
    [*INIT, "--mcp-url", "https://mcp.example.com:99999/mcp"],
    [*INIT, "--mcp-url", "https://mcp.example.com/mcp?x=1"],
    [*INIT, "--mcp-url", "https://mcp.exa mple.com/mcp"],
    [*INIT, "--mcp-url", URL, "--scope", "a b"],
    [*INIT, "--mcp-url", URL, "--registration", "sometimes"],
    [*INIT, "--mcp-url", URL, "--tier", "GOLD"],
    [*INIT, "--mcp-url", URL, "--config", "/nonexistent/answers.toml"],
    ["add-callback", "nosuch", "--pool-id", "us-east-1_AbC123", "--client-id", "abc123def456"],
    ["add-callback", "claude-code", "--port", "0", "--pool-id", "us-east-1_AbC123", "--client-id", "abc123def456"],
    ["add-callback", "javascript:alert(1)", "--pool-id", "us-east-1_AbC123", "--client-id", "abc123def456"],
    ["add-callback", "http://evil.example.com/cb", "--pool-id", "us-east-1_AbC123", "--client-id", "abc123def456"],
    ["add-callback", "chatgpt", "--url", "https://evil.example.com/x", "--pool-id", "us-east-1_AbC123",
     "--client-id", "abc123def456"],
    ["doctor", "ftp://x"], ["doctor", URL, "--platform", "nosuch"],
    ["doctor", URL, "--client-secret-env", "NO_SUCH_VARIABLE_SET"],
    ["doctor", URL, "--issuer", "http://evil.example.com"],
    ["clients", "prune", "--registered", "--pool-id", "us-east-1_AbC123", "--older-than", "soon"],
    ["export", "cloudformation", "--format", "xml"],
    ["scaffold", "nosuch-template", "out"],
]


@pytest.mark.parametrize("args", BAD_FLAGS, ids=[" ".join(a)[:60] for a in BAD_FLAGS])
def test_every_bad_flag_is_one_line_and_changes_nothing(run, aws, args: list[str]) -> None:
    result = run(*args)
    _one_line(result)
    assert aws.log.mutating() == []
