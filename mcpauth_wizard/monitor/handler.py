"""The monitor's Lambda handler, `mcpauth_wizard.monitor.handler.handler`: one run of the fleet
doctor's non-interactive checks over the region(s), drift against each gateway's last good
run, EMF metric lines on stdout (CloudWatch Logs turns them into metrics).

`mcpauth monitor run-once` runs `run()` on this machine, the same code path with its settings
from flags instead of the function's environment:

    MCPAUTH_MONITOR_REGIONS      comma-separated regions (default: the function's own)
    MCPAUTH_MONITOR_BUCKET       the drift store's bucket (unset: no drift comparison)
    MCPAUTH_MONITOR_NAMESPACE    the metrics' namespace (default: mcpauth)
    MCPAUTH_MONITOR_NAME         the Monitor dimension (the stack's name)
    MCPAUTH_MONITOR_CONCURRENCY  gateways checked at once (default: 8)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcpauth_wizard.monitor.emf import DEFAULT_MONITOR, DEFAULT_NAMESPACE


@dataclass(frozen=True)
class Settings:
    regions: tuple[str, ...]
    namespace: str = DEFAULT_NAMESPACE
    monitor: str = DEFAULT_MONITOR
    concurrency: int = 8
    bucket: str | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str], event: Any = None) -> Settings:
        listed = (event or {}).get("regions") if isinstance(event, dict) else None
        text = ",".join(listed) if isinstance(listed, list) else env.get("MCPAUTH_MONITOR_REGIONS", "")
        regions = tuple(dict.fromkeys(r.strip() for r in text.split(",") if r.strip()))
        own = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        concurrency = env.get("MCPAUTH_MONITOR_CONCURRENCY", "8")
        return cls(regions=regions or (own,),
                   namespace=env.get("MCPAUTH_MONITOR_NAMESPACE") or DEFAULT_NAMESPACE,
                   monitor=env.get("MCPAUTH_MONITOR_NAME") or DEFAULT_MONITOR,
                   concurrency=max(1, min(64, int(concurrency))) if concurrency.isdigit() else 8,
                   bucket=env.get("MCPAUTH_MONITOR_BUCKET") or None)


@dataclass
class Outcome:
    fleet: Any
    lines: list[dict[str, Any]]
    saved: list[str]  # gateways whose snapshot is now this run's
    store_problems: list[str] = field(default_factory=list)  # the drift store failed for these

    def summary(self) -> dict[str, Any]:
        from mcpauth_wizard.monitor.emf import drift_findings

        return {"gateways": len(self.fleet.entries), "errors": self.fleet.errors,
                "with_errors": [e.gateway_id for e in self.fleet.entries if e.errors],
                "drift": {e.gateway_id: [f.code for f in drift_findings(e)]
                          for e in self.fleet.entries if drift_findings(e)},
                "snapshots_saved": self.saved,
                **({"store_problems": self.store_problems} if self.store_problems else {})}


def _described_missing(aws: Any, pool_id: str | None, old: dict[str, Any],
                       new: dict[str, Any]) -> list[dict[str, Any]]:
    """The clients of the last snapshot this run did not probe, as AWS describes them now
    (or, when one is gone, the client that has its name): gone is then told from unprobed."""
    from mcpauth_wizard.aws import app_clients
    from mcpauth_wizard.doctor.drift import missing_clients

    wanted = missing_clients(old, new)
    if not wanted or not pool_id:
        return []
    found: list[dict[str, Any]] = []
    named_now = {c["ClientName"] for c in new["clients"].values()}
    listed: list[dict[str, Any]] | None = None

    def describe(client_id: str) -> dict[str, Any] | None:
        """The client now, or None when AWS says it does not exist. Any other failure
        (throttled after the retries, access denied) is raised: the drift of this gateway is
        then not compared (store_problems), never told as "client removed"."""
        from mcpauth_wizard.core.errors import NotFound

        try:
            return app_clients.describe_client(aws, pool_id, client_id)
        except NotFound:
            return None

    for client_id in wanted:
        described = describe(client_id)
        if described is not None:
            found.append(described)
            continue
        name = old["clients"][client_id].get("ClientName")
        if not name or name in named_now:
            continue
        if listed is None:
            listed = app_clients.list_clients(aws, pool_id)
        twin = next((c["ClientId"] for c in listed if c.get("ClientName") == name), None)
        described = describe(twin) if twin else None
        if described is not None:
            found.append(described)
            named_now.add(name)
    return found


def _drift(entry: Any, store: Any, contexts: dict[str, Any]) -> bool:
    """Compare one gateway with its last good snapshot (a `monitor.drift` step in its report);
    True when this run becomes its new last good snapshot."""
    from mcpauth_wizard.doctor import drift
    from mcpauth_wizard.doctor.findings import StepResult, status_of

    report = entry.report
    new = drift.snapshot(report.record_facts, gateway_id=entry.gateway_id, region=entry.region)
    if new is None:
        return False
    old = store.load(entry.region, entry.gateway_id)
    if old is not None and drift.missing_clients(old, new):
        pool_id = entry.setup.target.pool_id if entry.setup else None
        more = _described_missing(contexts[entry.region], pool_id, old, new)
        new = drift.snapshot(report.record_facts, gateway_id=entry.gateway_id,
                             region=entry.region, more_clients=more)
    findings = drift.as_findings(drift.compare(old, new), {f.code for f in report.findings})
    note = ("no earlier good run to compare with" if old is None else
            f"{len(findings)} change(s) since the last good run" if findings else
            "as at the last good run")
    report.steps.append(StepResult(drift.STEP_ID, "Setup against the last good run",
                                   status_of(findings), findings, note=note))
    report.findings.extend(findings)
    if entry.errors == 0:
        store.save(entry.region, entry.gateway_id, new)
        return True
    return False


def run(settings: Settings, base_aws: Any, store: Any = None, *,
        emit: Callable[[str], None] = print, now_ms: int | None = None) -> Outcome:
    """One monitor run: the fleet doctor, drift, the EMF lines written through `emit`."""
    from mcpauth_wizard.doctor import fleet as fleet_module
    from mcpauth_wizard.monitor.emf import metric_lines, render

    result = fleet_module.run_all(base_aws, settings.regions, None, concurrency=settings.concurrency)
    saved, problems = [], []
    if store is not None:
        contexts = {r: fleet_module.fleet_aws(base_aws, r, 1) for r in settings.regions}
        for entry in result.entries:
            if entry.report is None:
                continue
            try:
                if _drift(entry, store, contexts):
                    saved.append(entry.gateway_id)
            except Exception as exc:  # noqa: BLE001 - the doctor's metrics are written anyway
                from mcpauth_wizard.aws.session import translate_aws_error

                said = translate_aws_error(exc) or exc
                problems.append(f"{entry.gateway_id}: drift not compared ({store.where}): {said}")
    lines = metric_lines(result, namespace=settings.namespace, monitor=settings.monitor,
                         timestamp_ms=now_ms if now_ms is not None else int(time.time() * 1000))
    for text in render(lines):
        emit(text)
    return Outcome(result, lines, saved, problems)


def handler(event: Any, context: Any, *, aws: Any = None) -> dict[str, Any]:
    """The Lambda entry point. `aws`: an AwsContext to use instead of the function's own
    (tests attach call observers to it)."""
    from mcpauth_wizard.aws.session import AwsContext
    from mcpauth_wizard.monitor.store import S3Store

    settings = Settings.from_environment(os.environ, event)
    base = aws if aws is not None else AwsContext(region=os.environ.get("AWS_REGION"))
    store = S3Store(base, settings.bucket) if settings.bucket else None
    outcome = run(settings, base, store)
    for line in summary_lines(outcome):
        print(line)
    if outcome.store_problems:  # after the metrics: the function's own Errors metric says it
        raise RuntimeError("the drift store failed: " + "; ".join(outcome.store_problems))
    return outcome.summary()


def summary_lines(outcome: Outcome) -> list[str]:
    """The fleet's lines (one per gateway, its root causes), each gateway's drift beside it."""
    from mcpauth_wizard.doctor.fleet import summary_lines as fleet_lines
    from mcpauth_wizard.monitor.emf import drift_findings

    lines = fleet_lines(outcome.fleet)
    found: list[str] = []
    for entry, line in zip(outcome.fleet.entries, lines, strict=False):
        found.append(line)
        found += [f"    drift: {f.code} — {f.message}" for f in drift_findings(entry)]
    return found + lines[len(outcome.fleet.entries):] + outcome.store_problems
