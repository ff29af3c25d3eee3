"""Every `mcpauth COMMAND … --flag` written anywhere a person reads it (the README, help
texts, messages and panels in the code) names a flag that command really has."""

from __future__ import annotations

import re
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
MENTION = re.compile(r"mcpauth ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)((?: +(?:[^\s`'\"|<>()]+|<[^>]*>))*)")


def _commands() -> dict[str, set[str]]:
    from mcpauth_wizard.cli import cli

    found: dict[str, set[str]] = {}
    global_flags = {o for p in cli.params for o in getattr(p, "opts", [])}

    def walk(group: click.Command, path: str) -> None:
        flags = {o for p in group.params for o in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
        found[path] = flags | global_flags | {"--help"}
        if isinstance(group, click.Group):
            for name, command in group.commands.items():
                walk(command, f"{path} {name}".strip())

    walk(cli, "")
    return found


def _mentions() -> list[tuple[str, str, str]]:
    """(where, command, flag) for every flag written after `mcpauth COMMAND`."""
    texts = [ROOT / "README.md", *(ROOT / "mcpauth_wizard").rglob("*.py")]
    commands = _commands()
    out = []
    for path in texts:
        for match in MENTION.finditer(path.read_text(encoding="utf-8")):
            words = match.group(1).split()
            command = " ".join(words) if " ".join(words) in commands else words[0]
            if command not in commands:
                continue
            for flag in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", match.group(2)):
                out.append((str(path.relative_to(ROOT)), command, flag))
    return out


def test_every_flag_named_after_a_command_exists() -> None:
    commands = _commands()
    mentions = _mentions()
    assert len(mentions) > 50  # the scan sees the README and the code
    missing = sorted({(where, command, flag) for where, command, flag in mentions
                      if flag not in commands[command]})
    assert missing == [], missing
