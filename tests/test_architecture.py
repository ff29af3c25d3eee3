"""One house: no import circle in mcpauth_wizard/, one loopback rule, one finding table
(the README's code list and the report schema's enum are generated from it), and every
imported third-party package declared."""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mcpauth_wizard"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mcpauth_wizard"):
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                targets.add(whole if whole in modules else node.module)
        elif isinstance(node, ast.Import):
            targets.update(a.name for a in node.names if a.name.startswith("mcpauth_wizard"))
    return {t for t in targets if t in modules}


def test_no_import_circle_in_the_package() -> None:
    """Every import counts, at the top, inside a function or under TYPE_CHECKING."""
    modules = _modules()
    graph = {m: _imports(p, modules) - {m} for m, p in modules.items()}
    circles = []
    for start in graph:  # a path from a module back to itself
        stack, seen = [(start, [start])], set()
        while stack:
            here, path = stack.pop()
            for nxt in graph[here]:
                if nxt == start:
                    circles.append(path)
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert circles == [], circles[:5]


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("LOCALHOST", True), ("localhost.", True), ("127.0.0.1", True),
    ("127.3.2.1", True), ("::1", True), ("[::1]", True),
    ("localhost.example.com", False), ("127.0.0.1.example.com", False), ("0.0.0.0", False),
    ("::", False), ("10.0.0.1", False), ("example.com", False), ("", False), (None, False),
    ("[::ffff:127.0.0.1]", False),  # an IPv4-mapped address is not ::1
])
def test_the_one_loopback_rule(host: str | None, loopback: bool) -> None:
    from mcpauth_wizard.oauth.loopback import is_loopback

    assert is_loopback(host) is loopback


def test_no_other_module_decides_what_is_loopback() -> None:
    decides = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
               if re.search(r"\.is_loopback\b(?!\()|in LOOPBACK_HOSTS|\"127\.0\.0\.1\", \"\[::1\]\"",
                            p.read_text(encoding="utf-8"))]
    assert decides == ["mcpauth_wizard/oauth/loopback.py"], decides


def test_the_readme_code_list_and_the_schema_enum_are_the_finding_table() -> None:
    from mcpauth_wizard.doctor.findings import CODES, codes_markdown

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- codes:start -->\n(.*?)<!-- codes:end -->", text, re.S)
    assert found and found.group(1) == codes_markdown(), "regenerate the README's code list"
    schema = json.loads((PACKAGE / "doctor" / "report.schema.json").read_text())
    assert schema["$defs"]["code"]["enum"] == list(CODES)


def test_every_imported_third_party_package_is_declared() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=\[; ]", d)[0].lower().replace("-", "_")
                for d in [*project["dependencies"], *project["optional-dependencies"]["sandbox"]]}
    provided = {"email_validator": "email_validator", "yaml": "pyyaml", "dateutil": "python_dateutil"}
    stdlib = set(sys.stdlib_module_names)
    used = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            used.update(n.split(".")[0] for n in names)
    third_party = {u for u in used if u not in stdlib and u != "mcpauth_wizard"}
    missing = sorted(u for u in third_party if provided.get(u, u).lower() not in declared)
    assert missing == [], f"imported but not declared in pyproject.toml: {missing}"


def test_the_top_level_holds_packages_and_the_entry_modules_only() -> None:
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "cli.py"], loose
    rooms = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert rooms == ["aws", "commands", "core", "doctor", "mcp", "monitor", "oauth", "provision",
                     "sandbox"], rooms
