"""mcpauth as a new user installs it: a wheel built from this repository (what `pip install .`
and `pipx install .` install), and an installation without the `sandbox` extra."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mcpauth_wizard.provision.scaffold import template_files

REPO = Path(__file__).resolve().parent.parent
PACKAGED_TEMPLATES = "mcpauth_wizard/templates/fastmcp-lambda"


def mcpauth(*args: str, cwd: Path, hide: tuple[str, ...] = (), pythonpath: Path | None = None,
            code: str = "from mcpauth_wizard.cli import main; main(sys.argv[1:])"
            ) -> subprocess.CompletedProcess[str]:
    """Run mcpauth in a fresh interpreter. `hide`: modules to make absent, as when they are
    not installed (None in sys.modules: `import` fails and `find_spec` answers None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_CONFIG_FILE=str(cwd / "aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(cwd / "creds"))
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    hiding = "".join(f"sys.modules[{name!r}] = None; " for name in hide)
    return subprocess.run([sys.executable, "-c", f"import sys; {hiding}{code}", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


# --- without the sandbox extra --------------------------------------------------------------


@pytest.mark.parametrize("command, hidden", [
    (["demo"], ("moto",)),
    (["sandbox", "up"], ("moto",)),
    (["demo"], ("fastmcp", "uvicorn")),
])
def test_without_the_sandbox_extra_demo_and_sandbox_say_what_to_install(
        tmp_path: Path, command: list[str], hidden: tuple[str, ...]) -> None:
    result = mcpauth(*command, cwd=tmp_path, hide=hidden)

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "pip install 'mcpauth[sandbox]'" in line
    assert f"missing: {', '.join(hidden)}" in line
    assert result.stdout == ""


def test_without_the_sandbox_extra_other_commands_still_run(tmp_path: Path) -> None:
    result = mcpauth("scaffold", "fastmcp-lambda", "srv", "--pool-id", "us-east-1_Abc123",
                     "--client-id", "abc123client", cwd=tmp_path, hide=("moto", "fastmcp", "uvicorn"))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "srv" / "template.yaml").is_file()


# --- a wheel built from the repository --------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install .` builds (hatchling, the build backend of pyproject.toml)."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--quiet", "-w", str(out), str(REPO)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = out.glob("mcpauth-*.whl")
    return wheel


def test_the_wheel_carries_the_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    packaged = {n.removeprefix(PACKAGED_TEMPLATES + "/") for n in names if n.startswith(PACKAGED_TEMPLATES + "/")}
    assert packaged == {str(f) for f in template_files("fastmcp-lambda")}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "mcpauth_wizard/cli.py" in names and not [n for n in names if n.startswith("tests/")]


def test_mcpauth_installed_from_the_wheel_scaffolds_a_project(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a wheel installs by unpacking; deps come from this venv
    work = tmp_path / "work"
    work.mkdir()

    where = mcpauth(cwd=work, pythonpath=site,
                    code="import mcpauth_wizard.provision.scaffold as s; print(s.templates_root())")
    result = mcpauth("scaffold", "fastmcp-lambda", "my-server", "--pool-id", "us-east-1_Abc123",
                     "--client-id", "abc123client", cwd=work, pythonpath=site)

    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()) == site / "mcpauth_wizard" / "templates"  # not the checkout's
    assert result.returncode == 0, result.stderr
    written = sorted(p.relative_to(work / "my-server") for p in (work / "my-server").rglob("*") if p.is_file())
    assert written == template_files("fastmcp-lambda")
    template = (work / "my-server" / "template.yaml").read_text()
    assert "Default: us-east-1_Abc123" in template and "${mcpauth_" not in template


def test_the_readme_shows_the_non_editable_install() -> None:
    readme = (REPO / "README.md").read_text()
    install = readme[readme.index("## Install"):readme.index("## Commands")]

    assert "\npipx install . " in install and "\npip install .\n" in install
    assert "pip install 'mcpauth[sandbox]'" in install
