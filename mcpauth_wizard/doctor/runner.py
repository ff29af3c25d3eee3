"""Run steps as soon as their inputs exist (asyncio), or one at a time with a pause."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from mcpauth_wizard.doctor.context import CURRENT_STEP, Context
from mcpauth_wizard.doctor.findings import Finding, StepResult, status_of

STEP_TIMEOUT = 60.0


class Skip(Exception):
    """The step cannot run: say why (no credentials, an earlier step failed, …)."""


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    run: Callable[[Context], Awaitable[Outcome]]
    needs: tuple[str, ...] = ()
    preview: Callable[[Context], str] | None = None  # --step: the request it is about to send
    timeout: float = STEP_TIMEOUT
    platform: str | None = None  # the platform whose verdict depends on this step (None: all)


# --step: asked before each step; "next" runs it, "all" runs it and the rest without asking,
# "stop" runs none of the rest.
PauseAnswer = Literal["next", "all", "stop"]
Pause = Callable[[Step, Context], Awaitable[PauseAnswer | None]]
OnResult = Callable[[StepResult], None]


async def _run_one(step: Step, ctx: Context) -> StepResult:
    started = time.perf_counter()
    CURRENT_STEP.set(step.id)  # this task's own context: the step's requests carry its id
    try:
        outcome = await asyncio.wait_for(step.run(ctx), timeout=step.timeout)
        for finding in outcome.findings:
            finding.step = finding.step or step.id
        status = status_of(outcome.findings)
        result = StepResult(step.id, step.title, status, outcome.findings, note=outcome.note)
    except Skip as skipped:
        result = StepResult(step.id, step.title, "skip", note=str(skipped))
    except TimeoutError:
        result = _failed(step, f"did not finish within {step.timeout:.0f}s", "TimeoutError", "")
    except Exception as exc:  # noqa: BLE001 - a doctor reports; it never dies with a traceback
        result = _aws_failed(step, ctx, exc) or _failed(
            step, f"internal error: {type(exc).__name__}: {exc}", type(exc).__name__, str(exc))
    result.duration_ms = int((time.perf_counter() - started) * 1000)
    return result


def _aws_failed(step: Step, ctx: Context, exc: Exception) -> StepResult | None:
    """An AWS call that failed (the endpoint unreachable, access denied): a finding that says
    where the doctor looked and with which credentials, once per run; None for anything else."""
    from mcpauth_wizard.aws.session import is_unreachable, translate_aws_error

    problem = translate_aws_error(exc)
    if problem is None:
        return None
    if ctx.facts.get("aws_failed"):  # said once; the other AWS steps only point at it
        return StepResult(step.id, step.title, "skip", note=f"AWS did not answer ({ctx.facts['aws_failed']})")
    unreachable = is_unreachable(exc)
    ctx.facts["aws_failed"] = "AWS_UNREACHABLE" if unreachable else "AWS_CALL_FAILED"
    aws = ctx.aws
    try:
        credentials = aws.session.get_credentials() if aws is not None else None
        source = getattr(credentials, "method", None) or "none found"
    except Exception:  # noqa: BLE001 - the credential chain itself may be what fails
        source = "unreadable"
    where = {"endpoint": (aws.resolved_endpoint if aws is not None else None) or "AWS's public endpoint",
             "region": getattr(aws, "region_name", None), "credentials": source}
    fix = ("check the network path and the endpoint (AWS_ENDPOINT_URL, --endpoint-url, a proxy), "
           "the region (--region, AWS_REGION) and the credentials (AWS_PROFILE, `aws sso login`)"
           if unreachable else "check the credentials' permissions (the doctor needs read access: "
           "cognito-idp Describe*/List*/Get*, bedrock-agentcore GetGateway) and the region")
    finding = Finding(ctx.facts["aws_failed"], f"{problem} (endpoint {where['endpoint']}, region "
                      f"{where['region']}, credentials from {where['credentials']}): the AWS checks "
                      "could not run", step=step.id, evidence=where, fix=fix)
    return StepResult(step.id, step.title, "fail", [finding], note=str(problem))


def _failed(step: Step, note: str, kind: str, message: str) -> StepResult:
    """A step that could not finish is an error of its own: what it would have told is unknown."""
    finding = Finding("DOCTOR_STEP_FAILED", f"the doctor's step {step.id!r} did not finish ({note}); "
                      "what it checks is unknown", step=step.id, platform=step.platform,
                      evidence={"exception": kind, "message": message[:500]},
                      fix="re-run; if it repeats, report it with `mcpauth -v doctor --json`")
    return StepResult(step.id, step.title, "fail", [finding], note=note)


async def run_steps(steps: list[Step], ctx: Context, pause: Pause | None = None,
                    on_result: OnResult | None = None) -> list[StepResult]:
    """Results in the steps' order. Concurrent unless `pause` is given (then in order);
    `on_result` hears of each result as soon as it exists (the live checklist)."""
    results: dict[str, StepResult] = {}

    def finished(step: Step, result: StepResult) -> None:
        results[step.id] = result
        ctx.facts[f"result:{step.id}"] = result
        if on_result:
            on_result(result)

    if pause is not None:
        mode = "ask"  # ask before each step, or run the rest ("run"), or run none ("stopped")
        for index, step in enumerate(steps):
            if mode == "ask":
                mode = {"all": "run", "stop": "stopped"}.get(await pause(step, ctx) or "next", "ask")
                if mode == "stopped":  # said where, and that nothing after it is concluded
                    left = len(steps) - index
                    finished(step, StepResult(step.id, step.title, "fail", [Finding(
                        "DOCTOR_STOPPED", f"stopped at --step before {step.title!r} ({step.id}): "
                        f"{left} step(s) did not run, so what they check is unknown", step=step.id,
                        evidence={"not_run": [s.id for s in steps[index:]]},
                        fix="run `mcpauth doctor` again (without --step, or continue with c)")],
                        note="not run: stopped here at --step"))
                    continue
            if mode == "stopped":
                finished(step, StepResult(step.id, step.title, "skip", note="not run: stopped at --step"))
            else:
                finished(step, await _run_one(step, ctx))
        return [results[s.id] for s in steps]
    done = {s.id: asyncio.Event() for s in steps}
    ctx.step_events = done

    async def runner(step: Step) -> None:
        for need in step.needs:
            if need in done:
                await done[need].wait()
        finished(step, await _run_one(step, ctx))
        done[step.id].set()

    await asyncio.gather(*(runner(s) for s in steps))
    return [results[s.id] for s in steps]
