"""The answers of an `init` that stopped before applying (a decline, a wrong name, Ctrl-C):
kept beside mcpauth.toml, offered back by the next `init`, forgotten once applied."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from mcpauth_wizard.core.errors import McpAuthError
from mcpauth_wizard.provision.answers import ANSWER_KEYS, load_config, save_answers

RESUME_FILE = ".mcpauth-resume.toml"


def resume_path() -> Path:
    from mcpauth_wizard.core.project import project_path

    return project_path().parent / RESUME_FILE


def keep(answers: dict[str, Any]) -> Path | None:
    """Write the answers given so far (answer keys of the right kind; an empty answer such
    as "no first user" is an answer too); None when there is nothing to keep or the folder
    does not take the file."""
    kept = {k: v for k, v in answers.items() if isinstance(v, ANSWER_KEYS.get(k, ()))}
    if not kept:
        return None
    try:
        return save_answers(str(resume_path()), kept)
    except (McpAuthError, OSError):  # keeping answers must never turn a stop into a crash
        return None


def offered() -> tuple[dict[str, Any], str] | None:
    """The kept answers and when they were kept; None when there are none (or they do not
    read as answers any more: then they are dropped)."""
    path = resume_path()
    if not path.is_file() or path.is_symlink():
        return None
    try:
        answers = load_config(str(path))
        when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except (McpAuthError, OSError):
        forget()
        return None
    return (answers, when) if answers else None


def forget() -> None:
    try:
        resume_path().unlink(missing_ok=True)
    except OSError:
        pass
