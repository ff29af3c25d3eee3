"""init's answers are declared once (provision/questions.py): the click options, the config
file's keys, the command line that repeats answers, the wizard's questions and help lines, the
checks before any AWS call and the README's table all come from that declaration."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import click
import pytest

from mcpauth_wizard.cli import cli
from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.core.project import Project, dump_project, load_project
from mcpauth_wizard.provision import answers as answers_file
from mcpauth_wizard.provision.questions import (
    ANSWER_KEYS,
    ANSWERS,
    BY_KEY,
    HELP,
    PROMPT,
    answers_markdown,
)

README = Path(__file__).resolve().parents[1] / "README.md"

# One value of each answer, with the awkward characters a person types.
EVERY_ANSWER = {
    "new_pool": 'mcp "users"\nsecond line', "tier": "PLUS", "admin_only": False, "passkeys": True,
    "domain": "mcp-login", "classic_login": True, "gateway_id": "gw1234567890", "mcp_url": "https://x.example/mcp",
    "scopes": ["invoke", "read"], "platforms": ["claude-code", "codex"], "ports": {"claude-code": 8765, "codex": 5555},
    "shared_client": True, "public": ["claude-code"], "secret": ["codex"], "user_scopes": ["email"],
    "gateway_allowed_scopes": False, "gateway_audience": False, "first_user": "a@example.com",
    "registration": "both", "upgrade_tier": True, "pool_id": "us-east-1_AbC123",
}


def test_the_readme_table_is_the_declaration() -> None:
    found = re.search(r"<!-- answers:start -->\n(.*?)<!-- answers:end -->", README.read_text(), re.S)
    assert found, "README.md lost its answers markers"
    assert found.group(1) == answers_markdown(), "regenerate: python -m mcpauth_wizard.provision.questions"
    assert all(f"`{a.key}`" in found.group(1) for a in ANSWERS)


def test_init_has_exactly_the_declared_flags() -> None:
    init = cli.commands["init"]
    params = {p.name: p for p in init.params if isinstance(p, click.Option)}
    for answer in ANSWERS:
        param = params[answer.key]
        assert tuple(param.opts + param.secondary_opts) == answer.flags, answer.key
        assert param.multiple == (answer.kind in (list, dict)), answer.key
        if answer.choices:
            assert isinstance(param.type, click.Choice) and tuple(param.type.choices) == answer.choices
    others = {"config", "allow_breaking", "dry_run", "as_json", "save_answers", "reveal"}
    common = {"profile", "region", "endpoint_url", "verbose", "yes", "no_input", "help"}
    assert set(params) - {a.key for a in ANSWERS} - common == others  # nothing declared twice


def test_every_answer_is_in_the_covering_sample() -> None:
    assert set(EVERY_ANSWER) == set(ANSWER_KEYS)  # a new answer joins the round trips below


def test_the_command_line_gives_back_the_same_answers() -> None:
    words = shlex.split(answers_file.command_line(EVERY_ANSWER))
    assert words[:2] == ["mcpauth", "init"]
    parsed = cli.commands["init"].make_context("init", words[2:]).params
    for key, value in EVERY_ANSWER.items():
        got = parsed[key]
        if isinstance(value, list):
            got = [v for text in got for v in text.split(",")]
        elif isinstance(value, dict):
            got = {k: int(v) for k, _, v in (t.partition("=") for t in got)}
        assert got == value, (key, got)


def test_an_answers_file_reads_back_whatever_was_typed(tmp_path: Path) -> None:
    path = answers_file.save_answers(str(tmp_path / "answers.toml"), EVERY_ANSWER)
    assert tomllib.loads(path.read_text())["init"] == EVERY_ANSWER
    assert answers_file.load_config(str(path)) == EVERY_ANSWER


@pytest.mark.parametrize("key", ["server", "base_url"])
def test_flag_only_answers_are_refused_in_a_config_file(tmp_path: Path, key: str) -> None:
    path = tmp_path / "a.toml"
    path.write_text(f'[init]\n{key} = "x"\n')
    with pytest.raises(BadInput, match=f"unknown key '{key}'"):
        answers_file.load_config(str(path))


def test_the_project_file_keeps_a_name_with_a_newline_and_quotes(tmp_path: Path) -> None:
    project = Project(user_pool_id="us-east-1_AbC123", pool_name='mcp "users"\nsecond \\ line',
                      clients={"claude code": "abc", "shared": "def"}, ports={"codex": 5555},
                      scopes=("invoke",), passkeys=True, platforms=("codex",))
    path = tmp_path / "mcpauth.toml"
    path.write_text(dump_project(project))
    assert load_project(path) == project


def test_what_the_project_file_keeps_is_what_a_rerun_is_offered() -> None:
    full = Project(user_pool_id="us-east-1_AbC123", domain="mcp-login", gateway_id="gw1234567890",
                   resource_url="https://x/mcp", scopes=("invoke",), platforms=("claude-code", "codex"),
                   clients={"shared": "abc"}, platforms_shared=("claude-code", "codex"), secret=("codex",),
                   user_scopes=("email",), ports={"codex": 5555}, passkeys=True, classic_login=False,
                   gateway_allowed_scopes=True, registration="static")
    offered = set(answers_file.recorded_answers(full))
    kept = {a.key for a in ANSWERS if a.recorded and a.in_config} - {"mcp_url"}  # gateway wins
    assert offered - {"public"} == kept, offered ^ kept


@pytest.mark.parametrize(("key", "good", "bad"), [
    ("pool_id", "us-east-1_AbC123", "us-east-1"),
    ("new_pool", "mcp users", "x" * 200),
    ("tier", "ESSENTIALS", "GOLD"),
    ("domain", "mcp-login", "aws-login"),
    ("gateway_id", "gw1234567890", "gw id!"),
    ("first_user", "a@example.com", "not-an-address"),
])
def test_each_declared_check_takes_the_honest_value_and_refuses_the_near_miss(key: str, good: str,
                                                                            bad: str) -> None:
    BY_KEY[key].check(good)
    with pytest.raises(BadInput):
        BY_KEY[key].check(bad)


def test_every_check_named_exists_and_every_question_has_words() -> None:
    for answer in ANSWERS:
        if answer.validator:
            module, _, name = answer.validator.partition(":")
            assert callable(getattr(__import__(module, fromlist=[name]), name)), answer.validator
    asked = {a.question for a in ANSWERS if a.question}
    assert asked - set(PROMPT) == {"gateway_audience"}  # its words name the chosen clients
    assert set(HELP) - asked == {"account"}
