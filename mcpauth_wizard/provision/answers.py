"""The answers of `mcpauth init` as data: their keys and kinds, the config file that gives
them, the command line that repeats them, and what mcpauth.toml recorded of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.mcp.platforms import PLATFORMS
from mcpauth_wizard.provision.questions import ANSWER_KEYS, ANSWERS

DEFAULT_PLATFORMS = ["chatgpt", "claude", "inspector"]


def load_config(path: str) -> dict[str, Any]:
    """Answers from a TOML file (the same keys as the flags, with underscores)."""
    from mcpauth_wizard.core.files import read_toml

    found = read_toml(Path(path), "config file")
    if found is None:
        raise BadInput(f"config file {path!r} not found")
    data = found.get("init", found)
    if not isinstance(data, dict):
        raise BadInput(f"init in {path} must be a table ([init] with the answers as keys)")
    for key, value in data.items():
        kind = ANSWER_KEYS.get(key)
        if kind is None:
            raise BadInput(f"unknown key {key!r} in {path}; accepted: {', '.join(ANSWER_KEYS)}")
        if not isinstance(value, kind):
            raise BadInput(f"{key} in {path} must be a {kind.__name__}")
        if kind is list and not all(isinstance(v, str) for v in value):
            raise BadInput(f"{key} in {path} must be a list of strings")
        if kind is dict and not all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
            raise BadInput(f"{key} in {path} must map platform names to port numbers")
    return data


# Each answer's flag, and for a yes/no pair the one that says no (a list flag takes
# comma-separated values), from the declaration of the answers.
_FLAG_NAMES = {a.key: a.option_name for a in ANSWERS}
_FALSE_FLAGS = {a.key: a.flags[1] for a in ANSWERS if len(a.flags) == 2}


def command_line(answers: dict[str, Any]) -> str:
    """The `mcpauth init …` command that gives these answers without a question."""
    import shlex

    words = ["mcpauth", "init"]
    for key, value in answers.items():
        flag = _FLAG_NAMES.get(key, "--" + key.replace("_", "-"))
        if value is False:
            if key in _FALSE_FLAGS:
                words.append(_FALSE_FLAGS[key])
        elif value is True:
            words.append(flag)
        elif isinstance(value, dict):
            words.extend(w for k, v in value.items() for w in (flag, f"{k}={v}"))
        elif isinstance(value, list | tuple):
            words.extend((flag, ",".join(value)))
        else:
            words.extend((flag, str(value)))
    return shlex.join(words)


def save_answers(path: str, answers: dict[str, Any]) -> Path:
    """Write answers as a file `--config` reads (an [init] table)."""
    import tomli_w

    from mcpauth_wizard.core.files import write_atomic

    text = "# Answers for `mcpauth init --config` (written by mcpauth; no secrets).\n"
    text += tomli_w.dumps({"init": {key: list(value) if isinstance(value, tuple) else value
                                    for key, value in answers.items()}})
    return write_atomic(Path(path), text, "the answers file")


FROM_FILE = " (from mcpauth.toml)"
# Answers that exclude each other: a flag for one drops the file's answer for the other.
_EXCLUSIVE = (("pool_id", "new_pool"), ("gateway_id", "mcp_url"), ("public", "secret"))


def recorded_answers(project: Any) -> dict[str, Any]:
    """The answers mcpauth.toml recorded from the last `init` (the defaults of a re-run)."""
    found: dict[str, Any] = {}
    if project.user_pool_id:
        found["pool_id"] = project.user_pool_id
    if project.domain:
        found["domain"] = project.domain
    if project.gateway_id:
        found["gateway_id"] = project.gateway_id
    elif project.resource_url:
        found["mcp_url"] = project.resource_url
    if project.scopes:
        found["scopes"] = list(project.scopes)
    platforms = list(project.platforms) or [
        p for key in project.clients
        for p in (project.platforms_shared if key == "shared" else (key,)) if p in PLATFORMS]
    if platforms:
        found["platforms"] = platforms
        found["shared_client"] = "shared" in project.clients
    if project.platforms:  # written by this version: the secret choice and user scopes too
        found["secret"] = [p for p in platforms if p in project.secret]
        found["public"] = [p for p in platforms if p not in project.secret]
        found["user_scopes"] = list(project.user_scopes)
    if project.ports:
        found["ports"] = dict(project.ports)
    for flag in ("passkeys", "classic_login", "gateway_allowed_scopes"):
        if getattr(project, flag) is not None:
            found[flag] = getattr(project, flag)
    if project.registration:
        found["registration"] = project.registration
    return found


def with_recorded(answers: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """Flags first, then what mcpauth.toml recorded (unless a flag chose the other of a pair)."""
    merged = dict(answers)
    for key, value in recorded.items():
        pair = next((p for p in _EXCLUSIVE if key in p), (key,))
        if not any(k in answers for k in pair):
            merged[key] = value
    return merged
