"""`mcpauth` in a pseudo-terminal, as a person runs it (questionary needs a real terminal)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect


def spawn_mcpauth(cwd: Path, *args: str, columns: int = 160, lines: int = 50) -> pexpect.spawn:
    """The command in a terminal of this size; CI is dropped so that it asks."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(COLUMNS=str(columns), LINES=str(lines), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    return pexpect.spawn(sys.executable, ["-m", "mcpauth_wizard", *args], env=env, cwd=str(cwd),
                         encoding="utf-8", timeout=60, dimensions=(lines, columns))
