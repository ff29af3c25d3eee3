"""The doctor's only formatter: a rich step list, the root cause panel, JSON."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from mcpauth_wizard.doctor.report import Report

_MARK = {"pass": "[green]✓[/]", "warn": "[yellow]⚠[/]", "fail": "[red]✗[/]", "skip": "[dim]–[/]"}
_VERDICT = {"ready": "[green]ready[/]", "needs_action": "[yellow]needs action[/]",
            "incompatible": "[red]cannot work as set up[/]"}


def render(report: Report, console: Console, *, verbose: bool = False) -> None:
    console.print(f"[bold]mcpauth doctor[/] {escape(report.target.url)}")
    for step in report.steps:
        line = f"{_MARK[step.status]} {escape(step.title)} [dim]{step.duration_ms} ms[/]"
        if step.note and (step.status == "skip" or verbose or step.status == "pass"):
            line += f" [dim]— {escape(step.note)}[/]"
        console.print(line)
        for finding in step.findings:
            style = {"error": "red", "warning": "yellow", "info": "blue"}[finding.severity]
            cause = f" [dim](because of {finding.caused_by})[/]" if finding.caused_by else ""
            console.print(f"    [{style}]{finding.code}[/] {escape(finding.message)}{cause}")
            if verbose and finding.evidence:
                console.print("      [dim]" + escape(json.dumps(finding.evidence, default=str)[:2000]) + "[/]")
    if report.roots:
        root = report.roots[0]
        body = f"[bold]{root.code}[/]\n{escape(root.message)}"
        if root.fix:
            body += f"\n\n[bold]Fix:[/] {escape(root.fix)}"
        others = list(dict.fromkeys(f.code for f in report.roots[1:] if f.severity == "error"))
        if others:
            body += f"\n\nAlso: {', '.join(others)}"
        console.print(Panel(body, title="Root cause", title_align="left",
                            border_style="red" if root.severity == "error" else "yellow"))
    console.print("[bold]Platforms[/]")
    for name, verdict in report.platforms.items():
        codes = f" [dim]({', '.join(verdict.codes)})[/]" if verdict.codes else ""
        note = f" — {escape(verdict.note)}" if verdict.note else ""
        console.print(f"  {name}: {_VERDICT[verdict.verdict]}{codes}{note}")
    console.print(f"{report.errors} error(s), {report.warnings} warning(s)")


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)


def preview_step(step: Any, ctx: Any, console: Console) -> None:
    """--step: what the next step is about to send."""
    text = step.preview(ctx) if step.preview else ""
    console.print(f"\n[bold]Next:[/] {escape(step.title)}")
    if text:
        console.print(f"  [dim]{escape(text)}[/]")


