"""`mcpauth doctor`: glue between flags, the doctor run, its renderer, --format / --output
and --fix."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mcpauth_wizard.core import console
from mcpauth_wizard.core.errors import BadInput

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options


def _opener(no_browser: bool) -> Any:
    def open_url(url: str, deadline: float) -> None:
        console.err.print(f"Sign in here (the doctor listens until {time.strftime('%H:%M:%S', time.localtime(time.time() + deadline - time.monotonic()))}):")
        console.err.print(url, soft_wrap=True, markup=False)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    return open_url


def _ask_step() -> str:
    """--step: Enter runs the next step, c runs the rest, q stops (Ctrl-C stops at once)."""
    console.err.print("  [dim]Enter: run it · c: run the rest · q: stop[/] ", end="")
    while True:
        key = click.getchar()  # Ctrl-C raises KeyboardInterrupt here
        if key in ("\r", "\n"):
            console.err.print()
            return "next"
        if key.lower() in ("c", "q"):
            console.err.print(key.lower())
            return "all" if key.lower() == "c" else "stop"


FORMATS = ("text", "json", "sarif", "junit")


def output_format(as_json: bool, fmt: str | None) -> str:
    """--format, with --json meaning --format json (BadInput when the two disagree)."""
    chosen = (fmt or ("json" if as_json else "text")).lower()
    if chosen not in FORMATS:
        raise BadInput(f"--format {fmt}: accepted: {', '.join(FORMATS)}")
    if as_json and chosen != "json":
        raise BadInput(f"--json and --format {chosen} disagree; --json is --format json: give one")
    return chosen


def check_output(output: str) -> Path:
    """--output FILE, checked before the run (a bad path is bad input, not a lost report)."""
    from mcpauth_wizard.core.files import refuse_special

    path = Path(output)
    refuse_special(path, "--output")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput(f"--output {output}: the folder {folder} does not exist")
    return path


def formatted(report: Any, fmt: str, *, verbose: bool = False) -> str:
    """The final report as text for stdout or --output: the plain text view, the JSON report
    (exactly what --json prints), SARIF 2.1.0 or JUnit XML (both made from that JSON)."""
    from mcpauth_wizard.doctor import formats, render

    if fmt == "json":
        return render.as_json(report) + "\n"
    if fmt == "text":
        import io

        from rich.console import Console

        buffer = io.StringIO()
        render.render(report, Console(file=buffer, width=100, no_color=True, highlight=False,
                                      soft_wrap=True, emoji=False), verbose=verbose)
        return buffer.getvalue()
    from mcpauth_wizard.core.project import project_path

    # code scanning shows a result only at a file of the repository: the project file
    artifact = "mcpauth.toml" if project_path().is_file() else None
    return formats.render(report.as_dict(), fmt, artifact=artifact)


def run_doctor(opts: Options, *, url: str | None, platforms: str | None, client_id: str | None,
               client_secret_env: str | None, pool_id: str | None, gateway_id: str | None,
               login: bool, login_platform: str | None, token_env: str | None, step: bool,
               as_json: bool, fix: bool, no_browser: bool, issuer: str | None = None,
               no_state_probe: bool = False, state_probes: int = 8,
               probe_registration: bool = False, call_tool: str | None = None,
               client_metadata_url: str | None = None, fmt: str | None = None,
               output: str | None = None, trace: str | None = None, audit: bool = False,
               record: str | None = None) -> None:
    """`fmt`: text (the default), json (= --json), sarif or junit. Without `output` a machine
    format goes to stdout alone (the human view, if any, to stderr); with `output` it is
    written to that file (atomically) and the terminal shows the text view as usual."""
    from mcpauth_wizard.doctor import render
    from mcpauth_wizard.doctor.run import aws_access, make_target
    from mcpauth_wizard.doctor.run import run as run_checks

    fmt = output_format(as_json, fmt)
    out_path = check_output(output) if output is not None else None
    machine = fmt != "text" and out_path is None  # stdout holds the formatted report alone
    project = opts.project()
    target = make_target(project, url=url, platforms=platforms, client_id=client_id,
                         secret_env=client_secret_env, pool_id=pool_id, gateway_id=gateway_id,
                         token_env=token_env, issuer=issuer, call_tool=call_tool,
                         client_metadata_url=client_metadata_url,
                         login_platform=(login_platform or "") if login or login_platform else None,
                         state_probes=0 if no_state_probe else state_probes)
    target.probe_registration = probe_registration
    target.audit = audit
    trace_paths = _check_trace(trace) if trace else None
    record_path = check_output(record) if record else None
    aws, problem = aws_access(opts, target)
    aws_calls = None
    if record_path is not None:
        from mcpauth_wizard.doctor.record import AwsCalls

        aws_calls = AwsCalls(aws)
    pause = None
    shown: dict[str, Any] = {"printed": 0, "ctx": None}
    if step and opts.interactive and not machine:
        async def pause(next_step: Any, ctx: Any) -> str:
            import asyncio

            shown["ctx"] = ctx
            _print_arrows(shown, target.url)  # what the steps before this one sent and got
            render.preview_step(next_step, ctx, console.err)
            return await asyncio.to_thread(_ask_step)

    opener = _opener(no_browser) if target.login_platform else None
    checklist = None if machine else render.Checklist(
        console.out, live=pause is None and opener is None, verbose=bool(opts.verbose))
    if checklist:
        console.out.print(f"[bold]mcpauth doctor[/] {render.escape(target.url)}", soft_wrap=True)
    try:
        report = run_checks(target, aws, problem, pause=pause, opener=opener, progress=checklist)
    finally:
        if checklist:
            checklist.close()
    if shown["ctx"] is not None:
        _print_arrows(shown, target.url)
    if trace_paths:
        _write_trace(report, trace_paths)
    if record_path is not None:
        import json

        from mcpauth_wizard.core.files import write_atomic
        from mcpauth_wizard.doctor.record import build

        write_atomic(record_path, json.dumps(build(report, aws_calls, dict(project.ports)), indent=1) + "\n",
                     "--record")
        console.err.print(f"Record written to {render.escape(str(record_path))}", soft_wrap=True,
                          highlight=False)
    if not machine:
        render.render(report, console.out, verbose=bool(opts.verbose), steps_shown=True)
    if fix and report.errors:  # the first report, then the plan, then the checks again
        if machine:
            render.render(report, console.err, verbose=bool(opts.verbose))
        report = _fix(opts, aws, project, report, machine) or report
    if out_path is not None:
        from mcpauth_wizard.core.files import write_atomic

        write_atomic(out_path, formatted(report, fmt, verbose=bool(opts.verbose)), "--output")
        console.err.print(f"Report ({fmt}) written to {render.escape(str(out_path))}",
                          soft_wrap=True, highlight=False)
    elif machine:
        sys.stdout.write(formatted(report, fmt))
    if report.errors:
        raise click.exceptions.Exit(1)


def _check_trace(trace: str) -> tuple[Path, Path]:
    """--trace FILE: FILE.md and FILE.html, both checked before the run."""
    from mcpauth_wizard.doctor.trace import trace_paths

    md, page = trace_paths(trace)
    return check_output(md), check_output(page)


def _write_trace(report: Any, paths: tuple[Path, Path]) -> None:
    from mcpauth_wizard.core.files import write_atomic
    from mcpauth_wizard.doctor import render, trace

    write_atomic(paths[0], trace.markdown(report), "--trace")
    write_atomic(paths[1], trace.html(report), "--trace")
    console.err.print(f"Trace written to {render.escape(str(paths[0]))} and "
                      f"{render.escape(str(paths[1]))}", soft_wrap=True, highlight=False)


def _print_arrows(shown: dict[str, Any], url: str) -> None:
    """--step: the exchanges that ended since the last pause, as arrows (redacted)."""
    from mcpauth_wizard.doctor.render import escape
    from mcpauth_wizard.doctor.trace import step_arrows

    ctx = shown["ctx"]
    fresh = ctx.log[shown["printed"]:]
    shown["printed"] = len(ctx.log)
    for step_id in dict.fromkeys(entry[0] for entry in fresh):
        for line in step_arrows(fresh, step_id, url, ctx.secret_values):
            console.err.print(f"  [dim]{escape(line)}[/]", soft_wrap=True, highlight=False)


def _fix(opts: Options, aws: Any, project: Any, report: Any, as_json: bool) -> Any:
    """Show the plan that fixes what was found, apply it after a yes, and check again."""
    from mcpauth_wizard.commands.init_command import apply_with_progress, consent
    from mcpauth_wizard.core.project import save_project
    from mcpauth_wizard.doctor import render
    from mcpauth_wizard.doctor.fix import fixable, plan_fix
    from mcpauth_wizard.doctor.run import run as run_checks

    say = console.err if as_json else console.out  # stdout stays JSON with --json
    codes = fixable(report)
    if not codes:
        say.print("Nothing --fix can change: see the root cause above.")
        return None
    if aws is None:
        console.warn("--fix needs AWS access")
        return None
    from mcpauth_wizard.core.files import check_writable, refuse_special
    from mcpauth_wizard.core.project import project_path

    refuse_special(project_path(), "the project file")  # it records what --fix changes
    check_writable(project_path().parent, "mcpauth doctor --fix")
    plan = plan_fix(aws, project, report)
    if not plan.changes:
        say.print("--fix found nothing to change in AWS for " + ", ".join(codes))
        return None
    say.print(console.plan_view(plan, verbose=bool(opts.verbose)))
    if not consent(opts, plan, f"Apply {console.count(len(plan.changes), 'change')} to fix {', '.join(codes)}?"):
        if not plan.breaking:  # consent() said why for a breaking plan
            console.err.print("Nothing changed (pass --yes to apply without a prompt).")
        return None
    outcome = apply_with_progress(opts, aws, plan, project, quiet=as_json)
    save_project(outcome.project)
    for note in outcome.notes:
        console.warn(note)
    say.print("Re-running the doctor…")
    after = run_checks(report.target, aws, None)
    if not as_json:
        render.render(after, console.out, verbose=bool(opts.verbose))
    return after
