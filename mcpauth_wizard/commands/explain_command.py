"""`mcpauth explain CODE` and `mcpauth explain --list`: the finding table, read by a person."""

from __future__ import annotations

import difflib

import click

from mcpauth_wizard.core.errors import BadInput


def normalise(code: str) -> str:
    """A code as typed: any case, `-` for `_`, spaces around it ignored."""
    return code.strip().upper().replace("-", "_")


def list_text() -> str:
    """Every code of the table, one per line: code, severity, meaning (columns aligned)."""
    from mcpauth_wizard.doctor.explanations import plain
    from mcpauth_wizard.doctor.findings import CODES

    width = max(map(len, CODES))
    return "".join(f"{code:<{width}}  {severity:<7}  {plain(meaning)}\n"
                   for code, (severity, meaning) in CODES.items())


def resolve(code: str) -> str:
    """The table's code for what was typed; BadInput (exit 2) naming it and how to list them."""
    from mcpauth_wizard.doctor.findings import CODES

    wanted = normalise(code)
    if wanted in CODES:
        return wanted
    close = difflib.get_close_matches(wanted, list(CODES), n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    shown = code.strip()[:80] or "(empty)"
    raise BadInput(f"unknown finding code {shown!r}; {hint}`mcpauth explain --list` lists the "
                   f"{len(CODES)} accepted codes")


def run_explain(code: str | None, *, list_codes: bool = False) -> None:
    from mcpauth_wizard.doctor.explanations import explain_text

    if list_codes and code:
        raise BadInput("give a finding code or --list, not both")
    if list_codes:
        click.echo(list_text(), nl=False)
        return
    if not code:
        raise BadInput("name a finding code, e.g. `mcpauth explain COGNITO_CALLBACK_MISSING`; "
                       "`mcpauth explain --list` lists them all")
    click.echo(explain_text(resolve(code)), nl=False)
