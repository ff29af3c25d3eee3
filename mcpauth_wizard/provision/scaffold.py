"""`mcpauth scaffold`: write a ready project from a folder of `templates/`.

Templates are plain files. A placeholder is `${mcpauth_<name>}` (string.Template with
the `mcpauth_` prefix), so CloudFormation's own `${AWS::Region}` and shell `$VARS` in the
same files stay as they are. Every placeholder a template uses must have a value.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.core.files import output_folder, write_atomic

TEMPLATES = ("fastmcp-lambda",)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}$")  # usable as a CloudFormation stack name


class Placeholders(string.Template):
    """`${mcpauth_region}` is a placeholder; `${AWS::Region}` and `$HOME` are left alone."""

    idpattern = r"mcpauth_[a-z][a-z0-9_]*"
    flags = re.NOFLAG


@dataclass(frozen=True)
class ScaffoldValues:
    """What fills a template: the Cognito side the server signs in with."""

    server_name: str
    region: str
    user_pool_id: str
    client_id: str

    def placeholders(self) -> dict[str, str]:
        return {f"mcpauth_{key}": value for key, value in self.__dict__.items()}


@dataclass(frozen=True)
class ScaffoldResult:
    template: str
    folder: Path
    files: tuple[Path, ...]


def templates_root() -> Path:
    """`templates/` of a checkout, or `mcpauth_wizard/templates` inside an installed wheel."""
    package = Path(__file__).resolve().parents[1]  # mcpauth_wizard/
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("mcpauth's templates folder is missing from this installation")


def template_folder(name: str) -> Path:
    if name not in TEMPLATES:
        raise BadInput(f"unknown template {name!r}; accepted: {', '.join(TEMPLATES)}")
    return templates_root() / name


def check_server_name(name: str) -> str:
    if not _NAME.match(name):
        raise BadInput(f"invalid server name {name!r}; accepted: a letter, then letters, digits "
                       "and hyphens (63 at most), e.g. my-mcp-server")
    return name


def template_files(name: str) -> list[Path]:
    """The files of a template, relative to its folder (caches and bytecode left out)."""
    folder = template_folder(name)
    return sorted(
        p.relative_to(folder) for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def render(text: str, values: dict[str, str], source: str) -> str:
    """Fill the placeholders; a placeholder without a value is a bug in the template."""
    template = Placeholders(text)
    missing = sorted(set(template.get_identifiers()) - set(values))
    if missing:
        raise ValueError(f"{source}: no value for {', '.join(missing)}")
    return template.safe_substitute(values)


def scaffold(name: str, folder: Path, values: ScaffoldValues, *, force: bool = False) -> ScaffoldResult:
    """Write template `name` into `folder`; refuses to overwrite a file unless `force`."""
    source = template_folder(name)
    files = template_files(name)
    blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:  # checked before anything is written
        raise BadInput(f"{blocking} is a file; accepted: a folder (new or empty) for {folder}")
    existing = [str(f) for f in files if (folder / f).exists()]
    if existing and not force:
        raise BadInput(f"{folder} already has {', '.join(existing)}; pass --force to overwrite")
    rendered = {f: render((source / f).read_text(encoding="utf-8"), values.placeholders(), str(f))
                for f in files}
    written = []
    for relative, text in rendered.items():
        target = folder / relative
        output_folder(target.parent, "scaffold")
        written.append(write_atomic(target, text, "scaffold"))
    return ScaffoldResult(template=name, folder=folder, files=tuple(written))
