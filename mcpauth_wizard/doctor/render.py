"""The doctor's only formatter: a rich step list, the root cause panel, JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Console
from rich.markup import escape

from mcpauth_wizard.core.console import count
from mcpauth_wizard.doctor.report import Report

_MARK = {"pass": "[green]✓[/]", "warn": "[yellow]⚠[/]", "fail": "[red]✗[/]", "skip": "[dim]–[/]"}
_VERDICT = {"ready": "[green]ready[/]", "needs_action": "[yellow]needs action[/]",
            "at_risk": "[yellow]may fail[/]", "incompatible": "[red]cannot work as set up[/]",
            "unknown": "[yellow]unknown[/]"}
_COMMAND = re.compile(r"`([^`]+)`")
_URL = re.compile(r"https?://[^\s'\"`<>]+")


def fix_lines(fix: str) -> list[str]:
    """The fix sentence, then each command in it on a line of its own (copied whole)."""
    commands = _COMMAND.findall(fix)
    prose = _COMMAND.sub("", fix)
    lines = [f"[bold]Fix:[/] {escape(fix.replace('`', ''))}"] if re.search(r"[A-Za-z]", prose) \
        else ["[bold]Fix, run:[/]"]
    return lines + [f"  {escape(c)}" for c in commands]


def step_lines(step: Any, *, verbose: bool = False) -> list[str]:
    """One step's line and its findings (markup), as the checklist and the report show them."""
    line = f"{_MARK[step.status]} {escape(step.title)} [dim]{step.duration_ms} ms[/]"
    if step.note and (step.status == "skip" or verbose or step.status == "pass"):
        line += f" [dim]— {escape(step.note)}[/]"
    lines = [line]
    for finding in step.findings:
        style = {"error": "red", "warning": "yellow", "info": "blue"}[finding.severity]
        cause = f" [dim](because of {finding.caused_by})[/]" if finding.caused_by else ""
        lines.append(f"    [{style}]{finding.code}[/] {escape(finding.message)}{cause}")
        if verbose and finding.evidence:
            lines.append("      [dim]" + escape(json.dumps(finding.evidence, default=str)) + "[/]")
    return lines


class Checklist:
    """Each step as it finishes: in a terminal a live list in the steps' order (pending ones
    dimmed), elsewhere (or with --step / --login, which print in between) one line at a time."""

    def __init__(self, console: Console, *, live: bool, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.use_live = live and console.is_terminal
        self.order: list[tuple[str, str]] = []
        self.done: dict[str, Any] = {}
        self._live: Any = None

    def begin(self, steps: list[Any]) -> None:
        self.order = [(s.id, s.title) for s in steps]
        if self.use_live:
            from rich.live import Live

            # transient: the live lines are cut at the edge (marked …); when it ends they
            # give way to the same lines printed whole
            self._live = Live(self._view(), console=self.console, auto_refresh=False, transient=True)
            self._live.start()

    def step_done(self, result: Any) -> None:
        if result.id not in dict(self.order):  # a result made outside the step list
            self.order.append((result.id, result.title))
        self.done[result.id] = result
        if self._live is not None:
            self._live.update(self._view(), refresh=True)
        else:
            self._print_whole(result)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
            for step_id, _ in self.order:
                if step_id in self.done:
                    self._print_whole(self.done[step_id])

    def _print_whole(self, result: Any) -> None:
        """A step's lines, each printed whole (soft wrap: a terminal may wrap, nothing cuts)."""
        for line in step_lines(result, verbose=self.verbose):
            self.console.print(line, soft_wrap=True, highlight=False)

    def _view(self) -> Any:
        from rich.console import Group
        from rich.text import Text

        lines: list[Any] = []
        for step_id, title in self.order:
            if step_id in self.done:
                lines += [Text.from_markup(line, overflow="ellipsis")
                          for line in step_lines(self.done[step_id], verbose=self.verbose)]
            else:
                lines.append(Text.from_markup(f"[dim]· {escape(title)} …[/]", overflow="ellipsis"))
        for line in lines:
            line.no_wrap = True  # one screen line per line while it runs; cut lines end in …
        return Group(*lines)


def render(report: Report, console: Console, *, verbose: bool = False,
           steps_shown: bool = False) -> None:
    """Every line is printed whole (soft wrap): a terminal may wrap it, nothing cuts it.
    `steps_shown`: the checklist already printed the steps; only the verdicts follow."""
    def say(text: str = "") -> None:
        console.print(text, soft_wrap=True, highlight=False)

    if not steps_shown:
        say(f"[bold]mcpauth doctor[/] {escape(report.target.url)}")
        for step in report.steps:
            for line in step_lines(step, verbose=verbose):
                say(line)
    from mcpauth_wizard.doctor.report import worth_a_look

    shown = report.roots or worth_a_look(report.findings)
    if shown:
        root = shown[0]
        # A root cause is an error; warnings alone get a quieter heading.
        style, heading = ("red", "Root cause") if report.roots else ("yellow", "Worth a look")
        console.rule(f"[bold]{heading}[/]", align="left", style=style)
        say(f"[bold]{root.code}[/]")
        say(escape(root.message))
        for url in dict.fromkeys(_URL.findall(root.message)):  # each on its own line, to copy
            say(f"  {escape(url.rstrip('.,;:)'))}")
        if root.fix:
            say()
            for line in fix_lines(root.fix):
                say(line)
        others = list(dict.fromkeys(f.code for f in shown[1:]))
        if others:
            say()
            say(f"Also: {', '.join(others)}")
        console.rule(style=style)
    _tables(report, say)
    say("[bold]Platforms[/]")
    for name, verdict in report.platforms.items():
        codes = f" [dim]({', '.join(verdict.codes)})[/]" if verdict.codes else ""
        note = f" — {escape(verdict.note)}" if verdict.note else ""
        say(f"  {name}: {_VERDICT[verdict.verdict]}{codes}{note}")
        for p in verdict.predicted:  # from the client registry: "reported to …" or confirmed
            say(f"    [yellow]{escape(p.code)}[/] {escape(p.text)}. Fix: {escape(p.fix)}")
    say(f"{count(report.errors, 'error')}, {count(report.warnings, 'warning')}")


def _tables(report: Report, say: Any) -> None:
    """The token's claims beside the authorizer, and --audit's tables: one row a line."""
    if report.claims:
        say("[bold]Token claims vs the authorizer[/]")
        for r in report.claims:
            mark = {"match": "[green]match[/]", "mismatch": "[red]MISMATCH[/]"}.get(r["result"], "[dim]not checked[/]")
            say(f"  {escape(r['claim'])}: {escape(r['token'])} — needs {escape(r['required'])}: {mark}")
    audit = report.audit or {}
    if audit.get("forged_tokens"):
        say("[bold]Forged tokens (--audit)[/]")
        for r in audit["forged_tokens"]:
            style = "red" if r["verdict"] == "ACCEPTED" else "green" if r["verdict"] == "refused" else "yellow"
            say(f"  {escape(r['forgery'])}: [{style}]{escape(r['verdict'])}[/]")
    if audit.get("authorization_server"):
        say("[bold]Authorization server: advertised vs enforced (--audit)[/]")
        for r in audit["authorization_server"]:
            say(f"  {escape(r['check'])}: advertised {escape(r['advertised'])}; "
                f"enforced {escape(r['enforced'])}")


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)


def preview_step(step: Any, ctx: Any, console: Console) -> None:
    """--step: what the next step is about to send, whole (long URLs are not cut)."""
    text = step.preview(ctx) if step.preview else ""
    console.print(f"\n[bold]Next:[/] {escape(step.title)}", soft_wrap=True)
    if text:
        console.print(f"  {escape(text)}", soft_wrap=True, highlight=False)
