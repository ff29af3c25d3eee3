"""`mcpauth sandbox check-trace`: glue between the command line and sandbox/check_trace.py."""

from __future__ import annotations

import click

from mcpauth_wizard.core import console


def check_trace(record: str, as_json: bool) -> None:
    from rich.markup import escape

    from mcpauth_wizard.sandbox.check_trace import load, replay

    data = load(record)  # bad input before any sandbox starts
    result = replay(data, say=(lambda _: None) if as_json else console.note)
    if as_json:
        console.print_json({"replayed": result.replayed, "divergences": result.divergences,
                            "not_replayable": result.skipped})
    else:
        for line in result.divergences:
            console.out.print(f"  [red]✗[/] {escape(line)}", soft_wrap=True, highlight=False)
        for line in result.skipped:
            console.out.print(f"  [dim]- {escape(line)}[/]", soft_wrap=True, highlight=False)
    if result.divergences:
        raise click.exceptions.Exit(1)
