"""The doctor's only formatter: a rich step list, the root cause panel, JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Console
from rich.markup import escape

from mcpauth_wizard.doctor.report import Report

_MARK = {"pass": "[green]✓[/]", "warn": "[yellow]⚠[/]", "fail": "[red]✗[/]", "skip": "[dim]–[/]"}
_VERDICT = {"ready": "[green]ready[/]", "needs_action": "[yellow]needs action[/]",
            "incompatible": "[red]cannot work as set up[/]", "unknown": "[yellow]unknown[/]"}
_COMMAND = re.compile(r"`([^`]+)`")
_URL = re.compile(r"https?://[^\s'\"`<>]+")


def fix_lines(fix: str) -> list[str]:
    """The fix sentence, then each command in it on a line of its own (copied whole)."""
    commands = _COMMAND.findall(fix)
    prose = _COMMAND.sub("", fix)
    lines = [f"[bold]Fix:[/] {escape(fix.replace('`', ''))}"] if re.search(r"[A-Za-z]", prose) \
        else ["[bold]Fix, run:[/]"]
    return lines + [f"  {escape(c)}" for c in commands]


def render(report: Report, console: Console, *, verbose: bool = False) -> None:
    """Every line is printed whole (soft wrap): a terminal may wrap it, nothing cuts it."""
    def say(text: str = "") -> None:
        console.print(text, soft_wrap=True, highlight=False)

    say(f"[bold]mcpauth doctor[/] {escape(report.target.url)}")
    for step in report.steps:
        line = f"{_MARK[step.status]} {escape(step.title)} [dim]{step.duration_ms} ms[/]"
        if step.note and (step.status == "skip" or verbose or step.status == "pass"):
            line += f" [dim]— {escape(step.note)}[/]"
        say(line)
        for finding in step.findings:
            style = {"error": "red", "warning": "yellow", "info": "blue"}[finding.severity]
            cause = f" [dim](because of {finding.caused_by})[/]" if finding.caused_by else ""
            say(f"    [{style}]{finding.code}[/] {escape(finding.message)}{cause}")
            if verbose and finding.evidence:
                say("      [dim]" + escape(json.dumps(finding.evidence, default=str)) + "[/]")
    if report.roots:
        root = report.roots[0]
        style = "red" if root.severity == "error" else "yellow"
        console.rule("[bold]Root cause[/]", align="left", style=style)
        say(f"[bold]{root.code}[/]")
        say(escape(root.message))
        for url in dict.fromkeys(_URL.findall(root.message)):  # each on its own line, to copy
            say(f"  {escape(url.rstrip('.,;:)'))}")
        if root.fix:
            say()
            for line in fix_lines(root.fix):
                say(line)
        others = list(dict.fromkeys(f.code for f in report.roots[1:] if f.severity == "error"))
        if others:
            say()
            say(f"Also: {', '.join(others)}")
        console.rule(style=style)
    say("[bold]Platforms[/]")
    for name, verdict in report.platforms.items():
        codes = f" [dim]({', '.join(verdict.codes)})[/]" if verdict.codes else ""
        note = f" — {escape(verdict.note)}" if verdict.note else ""
        say(f"  {name}: {_VERDICT[verdict.verdict]}{codes}{note}")
    say(f"{report.errors} error(s), {report.warnings} warning(s)")


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)


def preview_step(step: Any, ctx: Any, console: Console) -> None:
    """--step: what the next step is about to send."""
    text = step.preview(ctx) if step.preview else ""
    console.print(f"\n[bold]Next:[/] {escape(step.title)}", soft_wrap=True)
    if text:
        console.print(f"  [dim]{escape(text)}[/]", soft_wrap=True)


