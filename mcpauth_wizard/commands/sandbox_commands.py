"""`mcpauth sandbox check-trace`: glue between the command line and sandbox/check_trace.py."""

from __future__ import annotations

import click

from mcpauth_wizard.core import console


def check_trace(records: tuple[str, ...], as_json: bool) -> None:
    """Each record replayed against its own sandbox, one after another; exit 1 when any
    diverges. --json: one record's result object, or {"traces": [...]} for several."""
    from rich.markup import escape

    from mcpauth_wizard.sandbox.check_trace import load, replay

    loaded = [(record, load(record)) for record in records]  # bad input before any sandbox starts
    results = []
    for index, (record, data) in enumerate(loaded):
        if len(loaded) > 1 and not as_json:
            console.out.print(f"[bold]{escape(record)}[/]", soft_wrap=True, highlight=False)
        result = replay(data, say=(lambda _: None) if as_json else console.note, fresh=index > 0)
        results.append({"file": record, "replayed": result.replayed, "divergences": result.divergences,
                        "not_replayable": result.skipped})
        if not as_json:
            for line in result.divergences:
                console.out.print(f"  [red]✗[/] {escape(line)}", soft_wrap=True, highlight=False)
            for line in result.skipped:
                console.out.print(f"  [dim]- {escape(line)}[/]", soft_wrap=True, highlight=False)
    if as_json:
        console.print_json({k: v for k, v in results[0].items() if k != "file"} if len(results) == 1
                           else {"traces": results})
    elif len(results) > 1:
        diverging = sum(bool(r["divergences"]) for r in results)
        console.out.print(f"{len(results)} records replayed: {diverging} with divergences",
                          soft_wrap=True, highlight=False)
    if any(r["divergences"] for r in results):
        raise click.exceptions.Exit(1)
