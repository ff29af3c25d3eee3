"""Rich output for the set-up commands (the doctor has its own renderer)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcpauth_wizard.callbacks import CallbackChange
from mcpauth_wizard.platforms import platforms_of_url

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def platform_label(url: str) -> str:
    return ", ".join(p.name for p in platforms_of_url(url)) or "-"


def callback_table(change: CallbackChange, title: str) -> Table:
    """Before → after list of callback URLs, each with its platform."""
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("", width=1)
    table.add_column("callback URL", overflow="fold")
    table.add_column("platform")
    for url in change.before:
        mark, style = ("-", "red") if url in change.removed else (" ", "")
        table.add_row(mark, f"[{style}]{escape(url)}[/]" if style else escape(url), platform_label(url))
    for url in change.added:
        table.add_row("+", f"[green]{escape(url)}[/]", platform_label(url))
    if not change.before and not change.added:
        table.add_row("", "[dim](none)[/]", "")
    return table


def warn(text: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(text)}")


def note(text: str) -> None:
    out.print(text)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def error_line(text: str) -> None:
    err.print(f"[red]mcpauth: error:[/] {escape(text)}")


_ACTION_STYLE = {"create": "green", "update": "yellow", "keep": "dim"}


def _short(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "[]"
    return str(value)


def plan_table(plan: Any) -> Table:
    """The plan of `init`: creates / updates (field by field) / keeps."""
    table = Table(title="Plan", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("action")
    table.add_column("resource")
    table.add_column("change", overflow="fold")
    for step in plan.steps:
        style = _ACTION_STYLE[step.action]
        lines = [f"{escape(f.field)}: {escape(_short(f.before))} → {escape(_short(f.after))}"
                 for f in step.fields]
        if step.note:
            lines.append(f"[dim]{escape(step.note)}[/]")
        table.add_row(f"[{style}]{step.action}[/]", escape(f"{step.kind} {step.name}"),
                      "\n".join(lines))
    creates = sum(s.action == "create" for s in plan.steps)
    updates = sum(s.action == "update" for s in plan.steps)
    keeps = sum(s.action == "keep" for s in plan.steps)
    table.caption = f"{creates} to create, {updates} to update, {keeps} kept"
    return table


def handoff_panel(handoff: Any) -> Any:
    """What to paste into one MCP client."""
    from rich.panel import Panel

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for f in handoff.fields:
        grid.add_row(escape(f.label), escape(f.value))
    return Panel(grid, title=f"Paste into {escape(handoff.title)}", title_align="left")
