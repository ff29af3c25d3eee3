"""Every behaviour of the sandbox marked unverified names, beside it, the live contract test
that would verify it against AWS (`contract: tests/test_live_aws.py::test_live_…`), and
every test so named exists. Needs no AWS: it reads the sources."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / "mcpauth_wizard" / "sandbox"
LIVE = ROOT / "tests" / "test_live_aws.py"
MARK = re.compile(r"unverified", re.IGNORECASE)
# "unverified" in quotes names the convention itself ('or says "unverified"'), not a behaviour
CONVENTION = re.compile(r'"unverified"', re.IGNORECASE)
CONTRACT = re.compile(r"contract:\s*(?:#\s*)?tests/test_live_aws\.py::(\w+)")
NEAR = 3  # the contract sits on the mark's line or within the next three


def _live_tests() -> set[str]:
    tree = ast.parse(LIVE.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def _sources() -> list[Path]:
    return sorted(SANDBOX.glob("*.py"))


def test_every_unverified_behaviour_names_its_contract_test() -> None:
    missing = []
    for path in _sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if len(MARK.findall(line)) == len(CONVENTION.findall(line)):
                continue
            window = " ".join(lines[number:number + NEAR + 1])
            if not CONTRACT.search(re.sub(r"\s+", " ", window)):
                missing.append(f"{path.relative_to(ROOT)}:{number + 1}: {line.strip()}")
    assert missing == [], "unverified behaviours without `contract: tests/test_live_aws.py::…`:\n" + \
        "\n".join(missing)


def test_every_named_contract_test_exists() -> None:
    tests = _live_tests()
    named = {(path.name, name) for path in _sources()
             for name in CONTRACT.findall(re.sub(r"\s+", " ", path.read_text(encoding="utf-8")))}
    assert named, "no contract is named in the sandbox"
    unknown = sorted(f"{file}: {name}" for file, name in named if name not in tests)
    assert unknown == [], f"contract tests named in the sandbox that tests/test_live_aws.py lacks: {unknown}"
    assert all(name.startswith("test_live_") for _, name in named)


def test_the_checker_catches_a_mark_without_a_contract() -> None:
    """The rule itself: a mark alone fails, a mark with a contract near it passes."""
    def missing(text: str) -> bool:
        lines = text.splitlines()
        return any(len(MARK.findall(line)) != len(CONVENTION.findall(line))
                   and not CONTRACT.search(" ".join(lines[i:i + NEAR + 1])) for i, line in enumerate(lines))

    assert missing("x = 1  # what AWS answers: unverified\n\n\n\n\n# contract: tests/test_live_aws.py::test_live_x")
    assert not missing("x = 1  # unverified\n# contract: tests/test_live_aws.py::test_live_x")
    assert not missing('each behaviour names its source or says "unverified"')
