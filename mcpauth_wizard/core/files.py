"""Files mcpauth reads and writes, made safe against what people's folders hold.

- A write goes through a unique temporary file in the same folder (created exclusively, so
  a link planted at a fixed NAME.tmp is never followed), then `os.replace`: a crash leaves
  the old file or the new one, never half of one.
- An existing target that is not a regular file (a symbolic link, a device, a fifo, a folder)
  is refused, never overwritten.
- A folder is proven writable (a probe file created and removed) before a command makes its
  first AWS call, so no AWS change is left without the file that records it.
- TOML is read with the standard parser; a file nested deeper than it can parse is bad input.
"""

from __future__ import annotations

import os
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from mcpauth_wizard.core.errors import BadInput


def read_toml(path: Path, what: str) -> dict[str, Any] | None:
    """The TOML document at `path`, or None when there is none (a dangling link counts as
    none); BadInput for anything that is not a readable TOML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise BadInput(f"{what} {path} is not UTF-8 text; accepted: a TOML file") from None
    except OSError as exc:  # a folder named like it, or unreadable
        raise BadInput(f"{what} {path} cannot be read ({exc.strerror}); accepted: a TOML file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{what} {path} is not valid TOML ({exc}); fix or delete it") from None
    except RecursionError:
        raise BadInput(f"{what} {path} nests tables or arrays too deeply to read; accepted: a "
                       "TOML file as mcpauth writes it") from None


def refuse_special(path: Path, what: str) -> None:
    """BadInput when `path` exists and is not a regular file (never overwritten)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BadInput(f"{what} {path} cannot be checked ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode)
                else "a special file")
        raise BadInput(f"{what} {path} is {kind}; accepted: a regular file (or none): it is not "
                       "overwritten")


def write_atomic(path: Path, text: str, what: str, *, private: bool = False) -> Path:
    """Write `text` to `path` whole, through a unique temporary file in the same folder."""
    refuse_special(path, what)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput(f"{what} {path}: the folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise BadInput(f"{what} {path} cannot be written ({exc.strerror}): check the folder "
                       f"{folder}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BadInput(f"{what} {path} cannot be written ({exc.strerror})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_writable(folder: Path, what: str) -> None:
    """Prove before any AWS call that `folder` takes a new file (root ignores modes, so the
    only proof is a file really created and removed)."""
    if not folder.is_dir():
        raise BadInput(f"{what}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".mcpauth-write-check.", dir=folder)
    except OSError as exc:
        raise BadInput(f"{what}: cannot write in {folder} ({exc.strerror}); nothing was changed in "
                       "AWS: run where mcpauth may write its project file") from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)


def output_folder(path: Path, what: str) -> Path:
    """A folder to write files into: made when missing; BadInput when it is something else."""
    if path.exists() and not path.is_dir():
        raise BadInput(f"{what} {path} is not a folder; accepted: a folder (made if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"{what} {path} cannot be made ({exc.strerror})") from None
    return path
