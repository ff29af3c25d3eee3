"""npm packages the tests run (installed with `npm ci` from a pinned package-lock.json).
In CI (CI=true) a missing node / npm or a failed install fails the test; elsewhere it is
skipped with the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_TIMEOUT = 300.0


def _unavailable(reason: str, what: str = "outside peers") -> None:
    """A missing prerequisite: a failure in CI, a skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"{what} unavailable in CI: {reason}", pytrace=False)
    pytest.skip(f"{what} unavailable: {reason}")


def _tool(name: str, what: str = "outside peers") -> str:
    path = shutil.which(name)
    if path is None:
        _unavailable(f"`{name}` is not on PATH (install Node.js 20+)", what)
    return str(path)


def npm_ci(folder: Path, installed: Path, what: str = "outside peers") -> None:
    """`npm ci` in `folder` (its package-lock.json) unless `installed` exists already; one
    install at a time per folder (pytest-xdist workers may ask for the same one at once)."""
    import fcntl

    if installed.exists():
        return
    with open(folder / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not installed.exists():  # another worker installed it while this one waited
            _install(folder, what)


def _install(folder: Path, what: str) -> None:
    npm = _tool("npm", what)
    try:
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                              capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        _unavailable(f"`npm ci` in {folder} did not finish within {INSTALL_TIMEOUT:.0f}s", what)
    else:
        if proc.returncode != 0:
            _unavailable(f"`npm ci` in {folder} failed: {(proc.stderr or proc.stdout).strip()[-500:]}",
                         what)
