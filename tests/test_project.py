"""mcpauth.toml: round trip, defaults for commands, and no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.core.project import Project, dump_project, load_project, save_project


def test_project_round_trips(tmp_path: Path) -> None:
    project = Project(
        region="eu-west-1",
        user_pool_id="eu-west-1_Abc",
        domain="my-mcp",
        resource_url='https://x.example.com/mcp?a="b"',
        scopes=("invoke", "read"),
        gateway_id="gw-1",
        clients={"chatgpt": "c1", "claude": "c2"},
    )
    path = save_project(project, tmp_path / "mcpauth.toml")
    assert load_project(path) == project
    assert "secret" not in path.read_text().lower().replace("no secrets here", "")


def test_missing_file_is_an_empty_project(tmp_path: Path) -> None:
    assert load_project(tmp_path / "mcpauth.toml") == Project()


def test_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "mcpauth.toml"
    path.write_text("[cognito\nuser_pool_id = ")
    with pytest.raises(BadInput, match="not valid TOML"):
        load_project(path)


def test_client_for_platform_never_falls_back_to_another_platform_s_client() -> None:
    assert Project(clients={"chatgpt": "a", "claude": "b"}).client_for("claude") == "b"
    assert Project(clients={"chatgpt": "a", "claude": "b"}).client_for("inspector") is None
    assert Project(clients={"chatgpt": "a"}).client_for("claude") is None
    assert Project(clients={"shared": "s"}).client_for("inspector") == "s"
    shared = Project(clients={"shared": "s"}, platforms_shared=("chatgpt",))
    assert shared.client_for("chatgpt") == "s" and shared.client_for("claude") is None
    assert Project(clients={"chatgpt": "a"}).client_for(None) == "a"
    assert Project(clients={"chatgpt": "a", "claude": "b"}).client_for(None) is None
    assert dump_project(Project()).startswith("# Written by mcpauth")
