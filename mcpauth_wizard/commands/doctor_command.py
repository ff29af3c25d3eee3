"""`mcpauth doctor`: glue between flags, the doctor run, its renderer and --fix."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import click

from mcpauth_wizard import console

if TYPE_CHECKING:
    from mcpauth_wizard.cli import Options


def _opener(no_browser: bool) -> Any:
    def open_url(url: str, deadline: float) -> None:
        console.err.print(f"Sign in here (the doctor listens until {time.strftime('%H:%M:%S', time.localtime(time.time() + deadline - time.monotonic()))}):")
        console.err.print(url, soft_wrap=True, markup=False)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    return open_url


def run_doctor(opts: Options, *, url: str | None, platforms: str | None, client_id: str | None,
               client_secret_env: str | None, pool_id: str | None, gateway_id: str | None,
               login: bool, login_platform: str | None, token_env: str | None, step: bool,
               as_json: bool, fix: bool, no_browser: bool) -> None:
    from mcpauth_wizard.doctor import render
    from mcpauth_wizard.doctor.run import aws_access, make_target
    from mcpauth_wizard.doctor.run import run as run_checks

    project = opts.project()
    target = make_target(project, url=url, platforms=platforms, client_id=client_id,
                         secret_env=client_secret_env, pool_id=pool_id, gateway_id=gateway_id,
                         token_env=token_env,
                         login_platform=(login_platform or "") if login or login_platform else None)
    aws, problem = aws_access(opts, target)
    pause = None
    if step and opts.interactive and not as_json:
        async def pause(next_step: Any, ctx: Any) -> None:
            import asyncio

            render.preview_step(next_step, ctx, console.err)
            await asyncio.to_thread(click.prompt, "  Continue", default="", show_default=False,
                                    prompt_suffix=" ⏎ ", err=True)

    opener = _opener(no_browser) if target.login_platform else None
    report = run_checks(target, aws, problem, pause=pause, opener=opener)
    if as_json and not fix:
        sys.stdout.write(render.as_json(report) + "\n")
    else:
        render.render(report, console.out, verbose=bool(opts.verbose))
    if fix and report.errors:
        report = _fix(opts, aws, project, report, run_checks, target, problem, as_json)
    if report.errors:
        raise click.exceptions.Exit(1)


def _fix(opts: Options, aws: Any, project: Any, report: Any, run_checks: Any, target: Any,
         problem: str | None, as_json: bool) -> Any:
    from mcpauth_wizard.doctor import render
    from mcpauth_wizard.doctor.fix import fixable, spec_from_setup
    from mcpauth_wizard.project import save_project
    from mcpauth_wizard.provision.setup import apply_plan, build_plan

    codes = fixable(report)
    if not codes:
        console.note("Nothing --fix can change: see the root cause above.")
        return report
    if aws is None:
        console.warn(f"--fix needs AWS access ({problem})")
        return report
    plan = build_plan(aws, spec_from_setup(aws, project, report), project)
    if not plan.changes:
        console.note("--fix found nothing to change in AWS for " + ", ".join(codes))
        return report
    console.out.print(console.plan_table(plan))
    if not opts.confirm(f"Apply these {len(plan.changes)} changes to fix {', '.join(codes)}?",
                        default=True):
        console.err.print("Nothing changed (pass --yes to apply without a prompt).")
        return report
    outcome = apply_plan(aws, plan, project)
    save_project(outcome.project)
    for done in outcome.done:
        console.note(f"  [green]✓[/] {done}")
    console.note("Re-running the doctor…")
    after = run_checks(target, aws, problem)
    if as_json:
        sys.stdout.write(render.as_json(after) + "\n")
    else:
        render.render(after, console.out, verbose=bool(opts.verbose))
    return after
