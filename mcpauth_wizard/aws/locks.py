"""One writer at a time per AWS resource, between mcpauth processes on this machine.

Cognito and AgentCore offer no conditional write, so two `mcpauth add-callback` on the same
app client at the same moment would each read, merge and write, and the second write would
erase the first one's URL. A lock file per resource (flock, released when the process ends
however it ends) makes the second wait for the first's read-back. Writers elsewhere (the
console, CDK, another machine) are not stopped by it: for them the window stays one round
trip, narrowed by reading again right before the write and checked by reading back after.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from mcpauth_wizard.core.errors import AwsProblem

WAIT = 120.0  # seconds another mcpauth may hold the same resource


def _folder() -> Path:
    """The user's own lock folder (XDG cache), never a shared one another user could plant."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "mcpauth" / "locks"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:  # no writable home: a private folder of this process's own
        folder = Path(tempfile.mkdtemp(prefix="mcpauth-locks-"))
    return folder


@contextlib.contextmanager
def resource_lock(what: str, *, wait: float = WAIT) -> Iterator[None]:
    """Hold the lock of `what` (e.g. "app client abc in us-east-1_X") for the block."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock between processes (said in the README)
        yield
        return
    path = _folder() / (hashlib.sha256(what.encode()).hexdigest()[:24] + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AwsProblem(f"another mcpauth has been changing {what} for {wait:.0f}s; "
                                     "nothing was changed: run again when it is done") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock
