"""`mcpauth init`: Spec → Plan (a diff against AWS, made with read calls only) → apply.

Each Step knows what it will do (create / update with field-level before → after /
keep) and how to do it. Steps run in dependency order; ids made by earlier steps reach
later ones through the Outcome. A second run with the same Spec plans only keeps.
Each resource kind is read, diffed and changed in a module of its own (pool_plan,
domain_plan, passkey_plan, resource_server_plan, registration, client_plan,
gateway_plan, user_plan); this one calls them in dependency order and runs the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from mcpauth_wizard.aws import domains
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import McpAuthError
from mcpauth_wizard.core.project import Project
from mcpauth_wizard.provision import registration
from mcpauth_wizard.provision.client_plan import branding_step, client_step, existing_client
from mcpauth_wizard.provision.domain_plan import plan_domain, record_domain
from mcpauth_wizard.provision.gateway_plan import gateway_scopes_applied, gateway_step
from mcpauth_wizard.provision.passkey_plan import passkey_steps
from mcpauth_wizard.provision.plan import (  # noqa: F401 - re-exported
    Action,
    FieldChange,
    Outcome,
    Plan,
    Step,
    diff_fields,
    duplicates_note,
)
from mcpauth_wizard.provision.pool_plan import existing_pool, pool_step
from mcpauth_wizard.provision.resource_server_plan import resource_server_step
from mcpauth_wizard.provision.spec import Spec
from mcpauth_wizard.provision.user_plan import user_step

# --- planning (read calls only) -------------------------------------------------


def build_plan(aws: AwsContext, spec: Spec, project: Project) -> Plan:
    """Compare the spec with AWS and list the steps; makes no change."""
    region = aws.region_name
    warnings = list(spec.warnings)
    steps: list[Step] = []
    pool = existing_pool(aws, spec, project, warnings)
    steps.append(pool_step(spec, pool))
    domain_prefix, login_version = plan_domain(aws, spec, pool, steps, warnings)
    host = domains.login_host(domain_prefix, region)
    if spec.passkeys:
        steps.extend(passkey_steps(aws, spec, pool, host))
    if spec.mcp_url:  # an OAuth proxy whose URL is not known yet has none
        steps.append(resource_server_step(aws, spec, pool, warnings))
    steps.extend(registration.pool_steps(spec, pool))
    client_ids: dict[str, str | None] = {}
    for client in spec.clients:
        client_id = existing_client(aws, pool, project, client, warnings)
        client_ids[client.key] = client_id
        steps.append(client_step(aws, spec, pool, client, client_id))
    if login_version == 2:
        for client in spec.clients:
            steps.append(branding_step(aws, pool, client, client_ids[client.key]))
    if spec.gateway_id:
        steps.append(gateway_step(aws, spec, pool, region, client_ids, login_version, warnings))
    if spec.first_user:
        steps.append(user_step(aws, spec, pool))
    return Plan(spec=spec, steps=tuple(steps), warnings=tuple(warnings), region=region)


# --- apply ----------------------------------------------------------------------


class ApplyFailed(McpAuthError):
    """A step failed: what was done is recorded; a re-run with the same answers resumes."""

    def __init__(self, step: Step, cause: Exception, outcome: Outcome) -> None:
        from mcpauth_wizard.aws.session import translate_aws_error

        reason = translate_aws_error(cause) or cause
        super().__init__(f"{step.label} failed: {reason}")
        self.step = step
        self.outcome = outcome


def apply_plan(aws: AwsContext, plan: Plan, project: Project,
               on_step: Callable[[Step, Outcome], None] | None = None,
               on_wait: Callable[[str, float], None] | None = None) -> Outcome:
    """Run every step in order; after each, `on_step` may record the outcome (mcpauth.toml)."""
    outcome = Outcome(project=recorded(project, plan), region=plan.region, on_wait=on_wait)
    for step in plan.steps:
        if step.run is not None:  # a "keep" step only records ids (or waits for a domain)
            try:
                step.run(aws, outcome)
            except Exception as exc:
                raise ApplyFailed(step, exc, outcome) from exc
            finally:  # what the AWS layer did on its own (e.g. removed a duplicate it made)
                outcome.notes.extend(aws.notes)
                aws.notes.clear()
            if step.action != "keep":
                outcome.done.append(step.label)
        if on_step:
            on_step(step, outcome)
    record_domain(aws, outcome)
    return outcome


def recorded(project: Project, plan: Plan) -> Project:
    """The answers of this run as mcpauth.toml records them: a re-run starts from them."""
    spec = plan.spec
    return replace(
        project, region=plan.region, resource_url=spec.mcp_url or None, scopes=spec.scopes,
        gateway_id=spec.gateway_id, ports=dict(spec.ports),
        pool_name=spec.new_pool.name if spec.new_pool else project.pool_name,
        platforms=spec.platforms, secret=spec.secret_platforms, user_scopes=spec.user_scopes,
        passkeys=spec.passkeys, classic_login=spec.managed_login_version == 1,
        gateway_allowed_scopes=gateway_scopes_applied(spec) if spec.gateway_id else None,
        registration=spec.registration)


def rollback(outcome: Outcome) -> list[str]:
    """Delete what this run created, newest first; returns what could not be deleted."""
    left = []
    for label, undo in reversed(outcome.created):
        try:
            undo()
        except Exception:  # noqa: BLE001 - report and go on with the rest
            left.append(label)
    return left
