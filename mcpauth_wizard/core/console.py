"""Rich output for the set-up commands (the doctor has its own renderer)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mcpauth_wizard.mcp.platforms import platforms_of_url
from mcpauth_wizard.oauth.redirects import CallbackChange

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


def count(n: int, noun: str) -> str:
    """`1 change`, `2 changes`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def warn(text: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(text)}")


def note(text: str) -> None:
    out.print(text)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def error_line(text: str) -> None:
    err.print(f"[red]mcpauth: error:[/] {escape(text)}")


_MARK = {"create": ("+", "green"), "update": ("~", "yellow"), "keep": ("=", "dim")}


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    return "(none)" if value is None else str(value)


def _change_lines(change: Any) -> list[str]:
    """One field's change: lists as the items added and removed, anything else before → after."""
    before, after = change.before, change.after
    if isinstance(before, list | tuple) and isinstance(after, list | tuple):
        added = [v for v in after if v not in before]
        removed = [v for v in before if v not in after]
        lines = [f"[green]+ {escape(change.field)}: {escape(str(v))}[/]" for v in added]
        lines += [f"[red]- {escape(change.field)}: {escape(str(v))}[/]" for v in removed]
        if lines:
            return lines
    if before is None:  # a field set for the first time: what it becomes, no "(none) →"
        return [f"[green]+ {escape(change.field)}: {escape(_value(after))}[/]"]
    return [f"[yellow]~ {escape(change.field)}: {escape(_value(before))} → {escape(_value(after))}[/]"]


def _client_summary(fields: dict[str, Any]) -> str:
    """One line for a new app client: secret or public, its callbacks and scopes."""
    secret = "secret" if fields.get("ClientSecret") == "generated" else "public (PKCE)"
    return (f"{secret} · callbacks: {_value(fields.get('CallbackURLs'))} · "
            f"scopes: {_value(fields.get('AllowedOAuthScopes'))}")


def plan_view(plan: Any, *, verbose: bool = False) -> Any:
    """The plan of `init`, read like Terraform's: a block per resource, + / ~ / - lines.

    Values are printed whole (no table cells), so ids and URLs copy cleanly at any width.
    """
    from rich.console import Group
    from rich.text import Text

    lines: list[Any] = [Text.from_markup("[bold]Plan[/]")]
    for step in plan.steps:
        mark, style = _MARK[step.action]
        flag = " [bold red](breaking)[/]" if step.breaking else ""
        lines.append(Text.from_markup(f"[{style}]{mark} {escape(step.kind)}[/] {escape(step.name)}{flag}"))
        body: list[str] = []
        if step.action == "create":
            after = {f.field: f.after for f in step.fields}
            if step.kind == "app client" and not verbose:
                body.append(escape(_client_summary(after)))
            else:
                body += [f"{escape(k)} = {escape(_value(v))}" for k, v in after.items()]
        elif step.action == "update":
            for change in step.fields:
                body += _change_lines(change)
        if step.note:
            body.append(f"[dim]{escape(step.note)}[/]")
        body += [f"[bold red]breaking:[/] {escape(b.describe())}" for b in step.breaking]
        lines += [Text.from_markup(f"    {line}") for line in body]
    creates = sum(s.action == "create" for s in plan.steps)
    updates = sum(s.action == "update" for s in plan.steps)
    keeps = sum(s.action == "keep" for s in plan.steps)
    lines.append(Text(f"Plan: {creates} to create, {updates} to update, {keeps} unchanged."))
    return Group(*lines)


def handoff_panel(handoff: Any) -> Any:
    """What to paste into one MCP client: a heading, where it goes, then each field with its
    value whole on a line of its own (no box border to fold it, so it copies cleanly)."""
    from rich.console import Group
    from rich.rule import Rule
    from rich.text import Text

    heading = getattr(handoff, "heading", "") or f"Paste into {handoff.title}"
    lines: list[Any] = [Rule(f"[bold]{escape(heading)}[/]", align="left")]
    if getattr(handoff, "where", ""):
        lines.append(Text.from_markup(f"[bold]Where:[/] {escape(handoff.where)}"))
    for f in handoff.fields:
        lines.append(Text.from_markup(f"[bold]{escape(f.label)}[/]"))
        lines += [Text(f"  {line}") for line in (f.value.splitlines() or [""])]
    for caveat in getattr(handoff, "caveats", ()):
        lines.append(Text.from_markup(f"[yellow]Note:[/] {escape(caveat)}"))
    return Group(*lines)
