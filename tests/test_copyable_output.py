"""Copyable output: `mcpauth clients`, `doctor` and `show` piped to a file at 80 columns
never split an id, a URL or a command across lines, and nothing is cut without a mark."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.sandbox_fixtures import Setup

_URL = re.compile(r"https?://[^\s`'\")]+")


def _piped(setup: Setup, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(setup.sandbox.aws_env(), COLUMNS="80", TERM="xterm")
    done = subprocess.run([sys.executable, "-m", "mcpauth_wizard", *args], cwd=setup.folder, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def split_across_lines(text: str, whole: str) -> bool:
    """`whole` occurs more often once the lines are joined: some line break falls inside it."""
    lines = [line.strip() for line in text.splitlines()]
    return "".join(lines).count(whole) > sum(line.count(whole) for line in lines)


def test_the_split_check_catches_a_split_and_passes_a_whole_value() -> None:
    value = "3930d87e37784c4c842629b147"
    assert split_across_lines(f"id {value[:13]}\n   {value[13:]} rest", value)
    assert not split_across_lines(f"id {value}\nnext line", value)


@pytest.mark.parametrize("command", [("clients",), ("doctor",), ("show",)])
def test_ids_urls_and_commands_stay_whole_at_80_columns_in_a_pipe(setup: Setup, command: tuple) -> None:
    out = _piped(setup, *command)
    wholes = [setup.pool_id, setup.mcp_url, setup.domain_url, *setup.clients.values(),
              "https://chatgpt.com/connector_platform_oauth_redirect",
              "https://claude.ai/api/mcp/auth_callback", "http://localhost:6274/oauth/callback"]
    shown = [w for w in wholes if w in out]
    assert len(shown) >= 3, out  # the check looked at something
    for whole in wholes:
        assert not split_across_lines(out, whole), (whole, out)
    for url in _URL.findall(out):  # every URL printed, also those not named above
        assert not split_across_lines(out, url) or url.endswith("…"), (url, out)
    for line in out.splitlines():
        if "mcpauth " in line and "`" in line:  # a command in backticks is whole on its line
            assert line.count("`") % 2 == 0, (line, out)
    if command == ("clients",):
        for client_id in setup.clients.values():
            assert any(line.split() == ["client", "id", client_id] for line in out.splitlines()), out


def _in_a_terminal(setup: Setup, *args: str) -> list[str]:
    import pexpect

    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(setup.sandbox.aws_env(), COLUMNS="80", LINES="60", TERM="xterm",
               PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn(sys.executable, ["-m", "mcpauth_wizard", *args], env=env,
                          cwd=str(setup.folder), encoding="utf-8", timeout=120, dimensions=(60, 80))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before or "")
    return [line for chunk in text.split("\r\n") for line in chunk.split("\r")]


def test_in_an_80_column_terminal_a_cut_line_is_marked_and_then_printed_whole(setup: Setup) -> None:
    lines = _in_a_terminal(setup, "doctor")
    for line in lines:  # the live list cuts at the edge: with a mark
        if len(line) == 80 and not set(line) <= set("─ ") and "───" not in line:
            assert line.endswith("…"), line
    whole = [line for line in lines if "Protected resource metadata" in line and line.endswith(
        "/.well-known/oauth-protected-resource")]
    assert whole, lines  # once the run ends, the same line printed whole
    for client_id in setup.clients.values():
        assert any(f"({client_id})" in line for line in lines), client_id


def test_clients_in_an_80_column_terminal_is_a_list_not_a_folded_table(setup: Setup) -> None:
    lines = _in_a_terminal(setup, "clients")
    for client_id in setup.clients.values():
        assert any(line.split() == ["client", "id", client_id] for line in lines), lines
    assert not any("┃" in line for line in lines)  # the table would not fit: not drawn
