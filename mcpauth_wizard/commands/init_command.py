"""`mcpauth init` and `mcpauth show`: glue between answers, the plan, apply and output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from mcpauth_wizard.core import console

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options
    from mcpauth_wizard.provision.setup import Outcome, Plan


def run_init(opts: Options, answers: dict[str, Any], config: str | None, dry_run: bool,
             as_json: bool, *, show_handoffs: bool = True, save_answers: str | None = None,
             reveal: bool | None = None) -> None:
    from mcpauth_wizard.core.project import save_project
    from mcpauth_wizard.provision import answers as answers_file  # `answers` is a parameter
    from mcpauth_wizard.provision import prompts, proxy, setup, wizard

    merged = {**(answers_file.load_config(config) if config else {}), **answers}
    if opts.interactive and not as_json and not opts.yes and not config:
        merged = _offer_resume(opts, merged)
    wizard.precheck(merged)  # bad answers are refused before any AWS call, even the account check
    project = opts.project()
    if not dry_run:  # the project file records what is made: its folder must take it first
        from mcpauth_wizard.core.files import check_writable, refuse_special
        from mcpauth_wizard.core.project import project_path

        refuse_special(project_path(), "the project file")
        check_writable(project_path().parent, "mcpauth init")
    base_url: str | None = None
    for_proxy = proxy.is_proxy_init(merged, project)
    if for_proxy:  # FastMCP's OAuth proxy: one confidential client, no per-platform ones
        merged, base_url = proxy.wizard_answers(merged, project)
    else:
        merged.pop("server", None)
    interactive = opts.interactive and not as_json
    aws = opts.aws()
    if interactive:
        prompter: Any = prompts.QuestionaryPrompter(say=console.note)
        aws = _confirm_account(opts, aws, prompter)
    else:
        prompter = prompts.NoPrompter()
    # mcpauth.toml's answers: taken as they are with --yes or without a terminal, else the
    # default of each question.
    progress: dict[str, Any] = {}
    try:
        spec = wizard.ask(merged, prompter, aws, answers_file.recorded_answers(project),
                          use_recorded=opts.yes, progress=progress)
    except KeyboardInterrupt:
        if interactive:  # a person's answers; flags alone are in their shell history
            _keep_answers(progress)
        raise
    if for_proxy:
        spec = proxy.proxy_spec(spec, base_url)
        project = proxy.proxy_project(project, base_url)
    if save_answers:
        path = answers_file.save_answers(save_answers, spec.answers)
        if not as_json:
            console.note(f"Answers saved to {escape(str(path))} (`mcpauth init --config {escape(str(path))}`).")
    plan = setup.build_plan(aws, spec, project)
    if as_json:
        result: dict[str, Any] = {"plan": _plan_json(plan)}
    else:
        console.out.print(console.plan_view(plan, verbose=bool(opts.verbose)))
        for warning in plan.warnings:
            console.warn(warning)
    if dry_run:
        if as_json:
            console.print_json(result)
        else:
            console.note("Dry run: nothing was changed.")
        return
    if plan.changes and not opts.yes and (as_json or not opts.interactive):
        if as_json:  # nothing changes before the plan was accepted
            console.print_json(result)
        console.err.print("Nothing changed: rerun with --yes to apply without a prompt.")
        raise click.exceptions.Exit(1)
    try:
        accepted = not plan.changes or consent(opts, plan,
                                               f"Apply {console.count(len(plan.changes), 'change')}?")
    except KeyboardInterrupt:
        if interactive:  # a person's answers; flags alone are in their shell history
            _keep_answers(progress)
        raise
    if not accepted:
        if as_json:
            console.print_json(result)
        if as_json or opts.yes or not opts.interactive:
            raise click.exceptions.Exit(1)
        _declined(prompter, spec.answers, saved=bool(save_answers), given=progress)  # breaking too
    outcome = apply_with_progress(opts, aws, plan, project, quiet=as_json)
    from mcpauth_wizard.provision import resume

    resume.forget()  # applied: nothing is left to resume
    saved = save_project(outcome.project)
    if reveal is None:  # a new secret is shown to a person at a terminal, not to a log
        reveal = _at_a_terminal() and not as_json
    handoffs = proxy.proxy_handoffs(outcome.project) if for_proxy else _handoffs(aws, outcome, spec,
                                                                                  reveal=reveal)
    if as_json:
        result["applied"] = outcome.done
        result["user_pool_id"] = outcome.project.user_pool_id
        from mcpauth_wizard.provision.handoff import as_json

        result.update(as_json(handoffs))
        console.print_json(result)
        return
    for note in outcome.notes:
        console.warn(note)
    if not plan.changes:
        console.note("[green]Nothing to change:[/] AWS already matches these answers.")
    if show_handoffs:
        for handoff in handoffs:
            console.out.print(console.handoff_panel(handoff))
    if for_proxy and (later := proxy.base_url_help(outcome.project)):
        console.note(later)
    console.note(f"Saved {escape(str(saved.resolve()))} (no secrets). "
                 "`mcpauth show` prints what to paste again (`--reveal` for secrets).")
    for line in next_steps(plan):
        console.note(line)


def _at_a_terminal() -> bool:
    """stdout is a terminal a person reads: not a pipe or file, not CI (FORCE_COLOR and the
    like make rich call a log a terminal, so rich's own answer is not used here)."""
    import os
    import sys

    return sys.stdout.isatty() and os.environ.get("CI", "").lower() not in ("1", "true", "yes")


def next_steps(plan: Plan) -> list[str]:
    """What follows the panels: the gateway's change, the invited user, then the doctor."""
    lines = []
    for step in plan.steps:
        if step.kind == "gateway authorizer" and step.action == "update":
            lines.append(escape(_gateway_sentence(step)))
        elif step.kind == "user" and step.action == "create":
            lines.append(f"Cognito emails {escape(step.name)} a temporary password; they choose "
                         "their own at the first sign-in.")
    lines.append("Next: `mcpauth doctor` walks the sign-in the way an MCP client does "
                 "(`mcpauth doctor --login` also signs in for real).")
    return lines


def _gateway_sentence(step: Any) -> str:
    """What the gateway accepts now, in words (the plan showed the fields)."""
    after = {f.field: f.after for f in step.fields}
    parts = []
    if after.get("allowedClients"):
        parts.append("from the app clients above")
    if after.get("allowedScopes"):
        parts.append("carrying " + " or ".join(after["allowedScopes"]))
    if after.get("allowedAudience"):
        parts.append("with aud " + " or ".join(after["allowedAudience"]))
    if not parts and not step.breaking:
        return f"Gateway {step.name}: updated as the plan shows."
    sentence = f"Gateway {step.name} now accepts this pool's tokens"
    sentence += (" " + ", ".join(parts)) if parts else ""
    losing = "; ".join(b.loses_access for b in step.breaking)
    return sentence + (f"; no longer: {losing}." if losing else ".")


def _declined(prompter: Any, answers: dict[str, Any], *, saved: bool, given: dict[str, Any]) -> None:
    """"No" at Apply: nothing changed; the answers are not lost (a command line, a file)."""
    from mcpauth_wizard.provision import answers as answers_file

    console.note("Nothing changed in AWS. The same answers, without questions:")
    console.out.print(escape(answers_file.command_line(answers)), soft_wrap=True)
    _keep_answers(given)  # every answer, the empty ones too (no first user, no extra scopes)
    if not saved and prompter.confirm("save_answers", "Save these answers to a file?", False):
        name = prompter.text("save_answers_file", "File", "mcpauth-answers.toml")
        path = answers_file.save_answers(name, answers)
        console.note(f"Saved: `mcpauth init --config {escape(str(path))}` uses them.")
    raise click.exceptions.Exit(1)


def _keep_answers(answers: dict[str, Any]) -> None:
    """A run stopped before applying: its answers wait for the next `init` in this folder."""
    from mcpauth_wizard.provision import resume

    if path := resume.keep(answers):
        console.note(f"Your answers are kept in {escape(path.name)}: the next `mcpauth init` "
                     "here offers them back.")


def _offer_resume(opts: Options, merged: dict[str, Any]) -> dict[str, Any]:
    """An earlier run stopped before applying: offer its answers (flags given now win)."""
    from mcpauth_wizard.provision import resume

    found = resume.offered()
    if not found:
        return merged
    kept, when = found
    if opts.confirm(f"Resume with the answers of the `mcpauth init` that stopped on {when} "
                    f"({console.count(len(kept), 'answer')})?", default=True):
        return {**kept, **merged}
    resume.forget()
    return merged


def consent(opts: Options, plan: Plan, question: str) -> bool:
    """Yes to apply the plan. A change that takes access away needs more than --yes:
    --allow-breaking, or (interactively) the gateway's name typed; the default is No."""
    breaking = plan.breaking
    for step in breaking:
        for b in step.breaking:
            console.warn(f"breaking: {step.kind} {step.name}: {b.describe()}")
    if not breaking:
        return opts.confirm(question, default=True)
    if opts.allow_breaking and (opts.yes or opts.confirm(question, default=False)):
        return True
    if opts.yes or not opts.interactive:
        console.err.print("Nothing changed: this plan takes access away (see 'breaking' above). "
                          "Pass --allow-breaking with --yes to apply it.")
        return False
    if not opts.confirm(question, default=False):
        return False
    name = breaking[0].consent_name
    if opts.confirm_by_typing(f"Type the gateway name ({name}) to accept the breaking change:", name):
        return True
    console.err.print("Nothing changed: the name did not match three times.")
    return False


def _confirm_account(opts: Options, aws: Any, prompter: Any) -> Any:
    from mcpauth_wizard.provision.prompts import confirm_account

    while True:
        caller = aws.caller()
        switch = confirm_account(prompter, caller["Account"], aws.region_name, opts.profile,
                                 caller=caller.get("Arn") or "", endpoint=aws.resolved_endpoint)
        if not switch:
            break
        opts.region, opts.profile = switch
        aws = opts.aws()
    return aws


def apply_with_progress(opts: Options, aws: Any, plan: Plan, project: Any, *, quiet: bool) -> Outcome:
    from mcpauth_wizard.core.project import save_project
    from mcpauth_wizard.provision import setup

    """Apply with progress; mcpauth.toml is written after every step; on a failure, say what
    was done and offer to delete what this run created (then exit 1)."""

    def record(step: Any, outcome: Outcome) -> None:
        save_project(outcome.project)  # after each step: a failure later leaves it consistent
        if step.action != "keep" and not quiet:
            console.out.print(f"  [green]✓[/] {escape(step.label)}")

    # The spinner shares the ✓ lines' console, so it never stays behind in the scrollback.
    status = console.out.status("applying…") if not quiet else None
    try:
        if status:
            status.start()

        def on_wait(what: str, remaining: float) -> None:
            if status:
                status.update(f"waiting for {what} (deadline in {remaining:.0f}s)")

        try:
            return setup.apply_plan(aws, plan, project, on_step=record, on_wait=on_wait)
        finally:
            if status:
                status.stop()
    except setup.ApplyFailed as failed:
        save_project(failed.outcome.project)
        for note in failed.outcome.notes:
            console.warn(note)
        console.error_line(str(failed))
        if failed.outcome.done:
            console.err.print("done before the failure: " + "; ".join(failed.outcome.done))
        if failed.outcome.created and opts.interactive and not opts.yes and opts.confirm(
                "Delete what this run created?", default=False):
            left = setup.rollback(failed.outcome)
            console.err.print("deleted what this run created" + (f"; left: {', '.join(left)}" if left else ""))
            if not left:
                from dataclasses import replace

                save_project(replace(failed.outcome.project, user_pool_id=project.user_pool_id,
                                     clients=project.clients))
        else:
            console.err.print("mcpauth.toml records what exists; re-run `mcpauth init` with the "
                              "same answers to resume.")
        raise click.exceptions.Exit(1) from None


def _plan_json(plan: Plan) -> list[dict[str, Any]]:
    return [
        {"action": s.action, "kind": s.kind, "name": s.name, "note": s.note,
         "breaking": [{"change": b.change, "loses_access": b.loses_access} for b in s.breaking],
         "fields": [{"field": f.field, "before": f.before, "after": f.after} for f in s.fields]}
        for s in plan.steps
    ]


def _handoffs(aws: Any, outcome: Outcome, spec: Any, *, reveal: bool) -> list[Any]:
    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.mcp.platforms import PLATFORMS
    from mcpauth_wizard.oauth.redirects import port_in
    from mcpauth_wizard.provision.handoff import handoffs, registration_handoffs
    from mcpauth_wizard.provision.server_panel import login_base_of, server_checks

    project = outcome.project
    clients = {c.key: project.clients[c.key] for c in spec.clients if c.key in project.clients}
    has_secret = {c.key: c.key in outcome.secrets or app_clients.is_confidential(
        app_clients.describe_client(aws, project.user_pool_id, cid))
        for c in spec.clients if (cid := clients.get(c.key))}
    # Ports are per platform (a shared client serves several): read each platform's own.
    ports = {p: port for c in spec.clients for p in c.platforms
             if (port := port_in(c.callback_urls, PLATFORMS[p].callback_templates))} | dict(spec.ports)
    from dataclasses import replace

    found = handoffs(replace(project, clients=clients), scopes=list(spec.client_scopes),
                     secrets=dict(outcome.secrets), has_secret=has_secret, reveal=reveal,
                     ports=ports, login_base=login_base_of(aws, project)) + registration_handoffs(spec.mcp_url, spec.dcr_platforms,
                                                          scopes=spec.client_scopes)
    server = server_checks(aws, project, scopes=list(spec.client_scopes),
                           registering=tuple(spec.dcr_platforms))
    return found + ([server] if server else [])
