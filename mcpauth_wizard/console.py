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
