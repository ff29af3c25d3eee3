"""The safe ways to write to Cognito: the full-replace update and the create whose answer was lost.

Cognito's Update* calls replace the whole resource: every attribute not passed is reset
to its default. `read_merge_write` here is the one way mcpauth calls them (through the
`safe_update_*` functions of `user_pools`, `app_clients` and `resource_servers`), always as
read → merge → write → read back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import AwsProblem


@dataclass(frozen=True)
class SafeUpdate:
    """What a read → merge → write → verify did to one resource."""

    before: dict[str, Any]
    after: dict[str, Any]
    written: bool
    remerged: bool  # someone else changed it since it was read or shown: re-applied on top
    verified: bool  # read back after the write and found as wanted (or nothing to write)
    notes: tuple[str, ...] = ()  # what someone else changed, and what was done about it


Change = Callable[[dict[str, Any]], dict[str, Any]]
_MAX_ROUNDS = 3  # a resource that keeps changing under us: stop and say so


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def read_merge_write(what: str, read: Callable[[], dict[str, Any]],
                     to_params: Callable[[dict[str, Any]], dict[str, Any]],
                     write: Callable[[dict[str, Any]], None], change: Change,
                     *, seen: dict[str, Any] | None = None,
                     guard: Callable[[], None] | None = None) -> SafeUpdate:
    """The one way to call a full-replace Update: read → merge → write → read back.

    Cognito has no conditional write, so the gap between the last read and the write can
    only be narrowed: the resource is read again right before the write (a change found
    there is kept and `change` re-applied on top), and read back after it. A field of ours
    that the read-back lacks (someone wrote after us) is re-applied; a field someone else
    changed is kept. Each of these is a note the caller must show. `guard` runs right before
    each write, after the last read (it refuses a read carrying members botocore lacks).
    """
    from mcpauth_wizard.aws.locks import resource_lock

    with resource_lock(what):
        return _read_merge_write(what, read, to_params, write, change, seen, guard)


def _read_merge_write(what: str, read: Callable[[], dict[str, Any]],
                      to_params: Callable[[dict[str, Any]], dict[str, Any]],
                      write: Callable[[dict[str, Any]], None], change: Change,
                      seen: dict[str, Any] | None, guard: Callable[[], None] | None) -> SafeUpdate:
    first = current = read()
    notes: list[str] = []
    remerged = False
    if seen is not None and to_params(seen) != to_params(current):
        remerged = True
        notes.append(f"{what} changed since it was shown ({', '.join(_changed(to_params(seen), to_params(current)))}): "
                     "the change was applied on top, theirs kept")
    written = False
    for _ in range(_MAX_ROUNDS):
        params = to_params(change(copy.deepcopy(current)))
        if params == to_params(current):
            return SafeUpdate(first, current, written, remerged, True, tuple(notes))
        fresh = read()
        if to_params(fresh) != to_params(current):
            remerged = True
            notes.append(f"{what}: someone else changed {', '.join(_changed(to_params(current), to_params(fresh)))} "
                         "while mcpauth was applying; kept, and the change re-applied on top")
            current = fresh
            continue
        if guard is not None:
            guard()
        write(params)
        written = True
        after = read()
        back = to_params(after)
        # AWS fills defaults for what was never set: compare what was sent or was there.
        keys = set(params) | set(to_params(current))
        lost = sorted(k for k in keys if back.get(k) != params.get(k))
        if not lost:
            return SafeUpdate(first, after, True, remerged, True, tuple(notes))
        remerged = True
        notes.append(f"{what}: {', '.join(lost)} read back differently right after the write "
                     "(someone else wrote too); re-applying mcpauth's change on top of theirs")
        current = after
    raise AwsProblem(f"{what} kept changing while mcpauth updated it ({_MAX_ROUNDS} rounds); "
                     "nothing else was changed: re-run when no one else is editing it")


# --- creates whose response was lost -------------------------------------------
# botocore retries a create that answered 5xx or timed out; if the first attempt had
# reached AWS, the retry makes a second resource. Create calls carry no idempotency token,
# so after a retried create the run looks for what it made (same name, made since the
# call started, minus clock skew) and keeps only the one AWS answered with.
CLOCK_SKEW_S = 300


def utcnow() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def retried(response: dict[str, Any]) -> bool:
    """Did botocore retry the call that gave this answer (its first try may have landed)?"""
    return bool((response.get("ResponseMetadata") or {}).get("RetryAttempts"))


def drop_lost_creates(what: str, kept: str, started: Any, found: list[tuple[str, Any]],
                      delete: Callable[[str], None], aws: AwsContext) -> None:
    """Delete what a lost first try made: `found` (id, creation time) made since `started`,
    other than `kept`, the one AWS answered with; each deletion is a note for the user."""
    import datetime as dt

    since = started - dt.timedelta(seconds=CLOCK_SKEW_S)
    for other, created in found:
        if other != kept and created is not None and created >= since:
            delete(other)
            aws.notes.append(f"{what}: the first create reached AWS but its answer was lost; "
                             f"deleted the duplicate {other} it made, kept {kept}")


def answer_lost(exc: Exception) -> bool:
    """An error answering a create that botocore had retried: the first try may have reached
    AWS and made the thing (its answer lost), so "already exists" may be our own."""
    return retried(getattr(exc, "response", None) or {})
