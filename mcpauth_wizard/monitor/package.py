"""The monitor function's package: this project's wheel and its dependencies, installed for
Lambda's platform (python3.12, manylinux2014 x86_64) and zipped.

    pip wheel --no-deps <this project>        (or mcpauth==<version> when installed from an index)
    pip install --target DIR --platform manylinux2014_x86_64 --implementation cp
                --python-version 3.12 --only-binary=:all: <the wheel>

`mcpauth monitor deploy --package FILE.zip` takes a package built elsewhere instead.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcpauth_wizard.core.errors import BadInput, McpAuthError

PLATFORM = "manylinux2014_x86_64"
PYTHON_VERSION = "3.12"
MARKER = "mcpauth_wizard/monitor/handler.py"  # what makes a zip a monitor package
UNZIPPED_LIMIT = 250 * 1024 * 1024  # Lambda's limit for a package (code and layers, unzipped)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same files give the same zip (and the same S3 key)

Runner = Callable[..., Any]  # subprocess.run's shape: (argv, capture_output=, text=, …)


class PackageFailed(McpAuthError):
    """pip could not build the package (exit 1): said in one line."""


def project_source() -> Path | None:
    """This project's source tree when mcpauth runs from one (pyproject.toml beside it)."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "mcpauth"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def _pip(runner: Runner, python: str, args: list[str], what: str) -> None:
    argv = [python, "-m", "pip", *args]
    try:
        done = runner(argv, capture_output=True, text=True)
    except OSError as exc:
        raise PackageFailed(f"pip could not run for {what} ({exc}); build the package elsewhere "
                            "and pass it with --package FILE.zip") from None
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
        last = said[-1] if said else f"exit code {done.returncode}"
        raise PackageFailed(f"pip could not {what}: {last} — build the package elsewhere and "
                            "pass it with --package FILE.zip")


def zip_folder(folder: Path, out: Path) -> Path:
    """Every file under `folder` (no bytecode caches, no console scripts), sorted, fixed times."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.relative_to(folder).parts[0] != "bin")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), _FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return out


def build(out: Path, work: Path, *, runner: Runner = subprocess.run,
          python: str = sys.executable) -> Path:
    """Build the package into `out`, using the folder `work` for the wheel and the install."""
    from mcpauth_wizard import __version__

    wheels, target = work / "wheels", work / "package"
    wheels.mkdir(parents=True, exist_ok=True)
    source = project_source()
    if source is not None:
        _pip(runner, python, ["wheel", "--no-deps", "--disable-pip-version-check", "--quiet",
                              "--wheel-dir", str(wheels), str(source)], "build this project's wheel")
        built = sorted(wheels.glob("mcpauth-*.whl"))
        if not built:
            raise PackageFailed("pip built no mcpauth wheel; build the package elsewhere and pass "
                                "it with --package FILE.zip")
        wanted = str(built[-1])
    else:
        wanted = f"mcpauth=={__version__}"
    _pip(runner, python, ["install", "--disable-pip-version-check", "--quiet", "--no-compile",
                          "--target", str(target), "--platform", PLATFORM, "--implementation", "cp",
                          "--python-version", PYTHON_VERSION, "--only-binary=:all:", wanted],
         f"install {Path(wanted).name} and its dependencies for Lambda ({PLATFORM}, "
         f"Python {PYTHON_VERSION})")
    if not (target / MARKER).is_file():
        raise PackageFailed(f"pip installed no {MARKER}; build the package elsewhere and pass it "
                            "with --package FILE.zip")
    return check(zip_folder(target, out), "the built package")


def check(path: Path, what: str = "--package") -> Path:
    """A zip with the monitor's handler in it, within Lambda's size limit (else one line)."""
    if not path.is_file():
        raise BadInput(f"{what} {path}: no such file; accepted: a .zip built by `mcpauth monitor "
                       "deploy` (or pip install --target, zipped)")
    if not zipfile.is_zipfile(path):
        raise BadInput(f"{what} {path}: not a zip file")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        unzipped = sum(i.file_size for i in archive.infolist())
    if MARKER not in names:
        raise BadInput(f"{what} {path}: not a monitor package (no {MARKER} in it)")
    if unzipped > UNZIPPED_LIMIT:
        raise BadInput(f"{what} {path}: {unzipped // 2**20} MiB unzipped, over Lambda's "
                       f"{UNZIPPED_LIMIT // 2**20} MiB")
    return path


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()
