"""`mcpauth monitor`: the doctor's checks on a schedule, in the user's own account.

`register(cli)` adds the group: `template` (the SAM template), `deploy` and `remove` (the stack,
through a change set shown before consent), `run-once` (the Lambda's handler on this machine).
The work is in mcpauth_wizard/monitor/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from mcpauth_wizard.core.options import Options


def _regions(values: tuple[str, ...]) -> tuple[str, ...]:
    from mcpauth_wizard.commands.fleet_command import check_regions

    return check_regions(tuple(r.strip() for text in values for r in text.split(",") if r.strip()))


def register(cli: click.Group) -> None:
    """Add `monitor` and its commands to the CLI group (call once, after it is defined)."""
    from mcpauth_wizard.core.options import pass_options

    @cli.group("monitor")
    def monitor() -> None:
        """The doctor's checks on a schedule in your account: Lambda + EventBridge Scheduler,
        CloudWatch metrics (EMF), an alarm to SNS, drift against the last good run.

        \b
          mcpauth monitor template -o monitor.json   the SAM template
          mcpauth monitor deploy --bucket BUCKET     package, change set, consent, deploy
          mcpauth monitor run-once --state DIR       one run on this machine
          mcpauth monitor remove                     delete the stack
        """

    @monitor.command("template")
    @click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE (default: stdout).")
    def template_command(output: str | None) -> None:
        """Print the monitor's AWS SAM template (CloudFormation JSON, passes cfn-lint)."""
        run_template(output)

    @monitor.command("deploy")
    @click.option("--bucket", required=True, metavar="BUCKET",
                  help="S3 bucket (in the stack's region) the function's package is uploaded to.")
    @click.option("--stack-name", default="mcpauth-monitor", show_default=True, help="Stack name.")
    @click.option("--regions", "regions", multiple=True, metavar="REGION[,REGION]",
                  help="Regions whose gateways are checked (default: the stack's region).")
    @click.option("--schedule", metavar="EXPRESSION",
                  help="EventBridge Scheduler expression (default: 'rate(15 minutes)').")
    @click.option("--email", metavar="ADDRESS", help="Send the alarm to this address (SNS e-mail).")
    @click.option("--log-retention-days", type=int, metavar="DAYS",
                  help="Days the function's logs are kept (default: 30).")
    @click.option("--package", "package_file", type=click.Path(dir_okay=False), metavar="FILE.zip",
                  help="A package built elsewhere, instead of building one with pip.")
    @click.option("--timeout", type=click.IntRange(30, 7200), default=900, show_default=True,
                  metavar="SECONDS", help="Stop waiting for CloudFormation after this long.")
    @pass_options
    def deploy_command(opts: Options, bucket: str, stack_name: str, regions: tuple[str, ...],
                       schedule: str | None, email: str | None, log_retention_days: int | None,
                       package_file: str | None, timeout: int) -> None:
        """Package the monitor, upload it, show the change set, and deploy it after consent.

        Asks before executing (default No); --yes consents. Without a terminal nothing is
        executed unless --yes is given. Exit 0: deployed (or nothing to change); 1: declined or
        failed; 2: bad input.
        """
        run_deploy(opts, bucket, stack_name, regions, schedule, email, log_retention_days,
                   package_file, timeout)

    @monitor.command("remove")
    @click.option("--stack-name", default="mcpauth-monitor", show_default=True, help="Stack name.")
    @click.option("--timeout", type=click.IntRange(30, 7200), default=900, show_default=True,
                  metavar="SECONDS", help="Stop waiting for CloudFormation after this long.")
    @pass_options
    def remove_command(opts: Options, stack_name: str, timeout: int) -> None:
        """Delete the monitor's stack and its drift snapshots, after consent (--yes consents)."""
        run_remove(opts, stack_name, timeout)

    @monitor.command("run-once")
    @click.option("--regions", "regions", multiple=True, metavar="REGION[,REGION]",
                  help="Regions whose gateways are checked (default: the configured one).")
    @click.option("--state", metavar="DIR", type=click.Path(file_okay=False),
                  help="Keep each gateway's last good snapshot here and report drift against it.")
    @click.option("--namespace", default="mcpauth", show_default=True, help="The metrics' namespace.")
    @click.option("--name", "monitor_name", default="mcpauth-monitor", show_default=True,
                  help="The Monitor dimension of the metrics.")
    @click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
                  help="How many gateways are checked at once.")
    @pass_options
    def run_once_command(opts: Options, regions: tuple[str, ...], state: str | None,
                         namespace: str, monitor_name: str, concurrency: int) -> None:
        """Run the monitor's Lambda handler here once; print its EMF metric lines on stdout.

        The summary (with drift beside each gateway's root causes) goes to stderr. Exit 0:
        no errors; 1: errors found; 2: bad input.
        """
        run_once(opts, regions, state, namespace, monitor_name, concurrency)


def run_template(output: str | None) -> None:
    import sys
    from pathlib import Path

    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.monitor.template import text

    if output is None:
        sys.stdout.write(text())
        return
    from mcpauth_wizard.core import console
    from mcpauth_wizard.core.files import refuse_special, write_atomic

    path = Path(output)
    if not path.resolve().parent.is_dir():
        raise BadInput(f"--output {output}: the folder {path.parent} does not exist")
    refuse_special(path, "--output")
    written = write_atomic(path, text(), "--output")
    console.note(f"Wrote {written}: deploy it with `mcpauth monitor deploy --bucket BUCKET` "
                 "(or sam deploy, with CodeBucket and CodeKey naming a package).")


def _say(text: str) -> None:
    from mcpauth_wizard.core import console

    console.err.print(text, soft_wrap=True, highlight=False, markup=False)


def run_deploy(opts: Options, bucket: str, stack_name: str, regions: tuple[str, ...],
               schedule: str | None, email: str | None, retention: int | None,
               package_file: str | None, timeout: int) -> None:
    from pathlib import Path

    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.monitor import deploy, package
    from mcpauth_wizard.monitor.template import RETENTION_DAYS
    from mcpauth_wizard.provision.spec import check_email

    if retention is not None and retention not in RETENTION_DAYS:
        raise BadInput(f"--log-retention-days {retention}; accepted: "
                       f"{', '.join(map(str, RETENTION_DAYS))}")
    request = deploy.DeployRequest(
        stack=deploy.check_stack_name(stack_name), bucket=deploy.check_bucket(bucket),
        regions=_regions(regions), schedule=deploy.check_schedule(schedule) if schedule else None,
        email=check_email(email, "--email") if email else None, retention_days=retention,
        package=package.check(Path(package_file)) if package_file else None, timeout=timeout)
    aws = opts.aws()
    _ = aws.region_name  # an unknown region is bad input before any call
    aws.require_credentials("mcpauth monitor deploy")
    if not deploy.deploy(aws, request, confirm=lambda q: opts.confirm(q, default=False), say=_say):
        _say("Nothing was executed; the change set was deleted"
             + ("." if opts.interactive else ": rerun with --yes to execute it without a prompt."))
        raise click.exceptions.Exit(1)


def run_remove(opts: Options, stack_name: str, timeout: int) -> None:
    from mcpauth_wizard.monitor import deploy

    deploy.check_stack_name(stack_name)
    aws = opts.aws()
    _ = aws.region_name
    aws.require_credentials("mcpauth monitor remove")
    if not deploy.remove(aws, stack_name, timeout, confirm=lambda q: opts.confirm(q, default=False),
                         say=_say):
        _say("Nothing was deleted" + ("." if opts.interactive else
                                      ": rerun with --yes to delete without a prompt."))
        raise click.exceptions.Exit(1)


def run_once(opts: Options, regions: tuple[str, ...], state: str | None, namespace: str,
             monitor_name: str, concurrency: int) -> None:
    import sys

    from mcpauth_wizard.core.errors import BadInput
    from mcpauth_wizard.monitor import handler
    from mcpauth_wizard.monitor.store import FolderStore

    if not namespace.strip() or len(namespace) > 255:
        raise BadInput(f"--namespace {namespace!r}; accepted: 1 to 255 characters")
    store = FolderStore(state) if state else None
    aws = opts.aws()
    chosen = _regions(regions) or (aws.region_name,)
    aws.require_credentials("mcpauth monitor run-once")
    settings = handler.Settings(regions=chosen, namespace=namespace, monitor=monitor_name,
                                concurrency=concurrency)

    def emit(line: str) -> None:
        sys.stdout.write(line + "\n")

    outcome = handler.run(settings, aws, store, emit=emit)
    sys.stdout.flush()
    for line in handler.summary_lines(outcome):
        _say(line)
    if store is None:
        _say("No --state DIR: drift was not compared (the deployed monitor keeps its snapshots in S3).")
    if outcome.fleet.errors or outcome.store_problems:
        raise click.exceptions.Exit(1)
