"""Run steps as soon as their inputs exist (asyncio), or one at a time with a pause."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from mcpauth_wizard.doctor.context import Context
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
        result = _failed(step, f"internal error: {type(exc).__name__}: {exc}", type(exc).__name__, str(exc))
    result.duration_ms = int((time.perf_counter() - started) * 1000)
    return result


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
        for step in steps:
            if mode == "ask":
                mode = {"all": "run", "stop": "stopped"}.get(await pause(step, ctx) or "next", "ask")
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
