"""`mcpauth doctor --all`: every AgentCore gateway with a CUSTOM_JWT authorizer in the given
regions, each diagnosed like one `mcpauth doctor` run, at most `concurrency` at once.

What each run checks comes from AWS reads and the user's own file, never from a server's
answer: the gateway (GetGateway) names its MCP URL, its user pool (discoveryUrl) and the
clients it admits (allowedClients, or every client of the pool when it admits any). The
platforms are those mcpauth.toml records for that gateway, else those the clients reveal:
a name init gives (`mcpauth-<platform>`) or a callback URL of a platform's template.

AWS calls go through one context per region with botocore's adaptive retry mode (its
client-side rate limiter backs off the whole fleet when AWS throttles) and a connection pool
as wide as the concurrency; list calls use botocore's paginators (aws/agentcore.py).
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from mcpauth_wizard.core.errors import NotFound
from mcpauth_wizard.doctor.context import Target
from mcpauth_wizard.doctor.report import Report

DEFAULT_CONCURRENCY = 8
GATEWAY_TIMEOUT = 300.0  # one gateway's whole run; the doctor's steps have their own bounds


@dataclass
class Setup:
    """One gateway's setup as AWS and mcpauth.toml describe it: the target of its run."""

    target: Target
    source: str  # "mcpauth.toml" or "client names and callbacks"


@dataclass
class Entry:
    """One gateway's result: its report, or why it could not be diagnosed."""

    region: str
    gateway_id: str
    name: str
    setup: Setup | None = None
    report: Report | None = None
    problem: str | None = None

    @property
    def errors(self) -> int:
        return self.report.errors if self.report else 1  # not diagnosed: counted as an error

    @property
    def warnings(self) -> int:
        return self.report.warnings if self.report else 0

    @property
    def root_causes(self) -> list[str]:
        if self.report is None:
            return []  # `problem` says why there is no report
        return list(dict.fromkeys(f.code for f in self.report.roots))

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "region": self.region, "gateway_id": self.gateway_id, "name": self.name,
            "url": self.setup.target.url if self.setup else None,
            "setup_from": self.setup.source if self.setup else None,
            "errors": self.errors, "warnings": self.warnings, "root_causes": self.root_causes,
        }
        if self.problem:
            found["problem"] = self.problem
        found["report"] = self.report.as_dict() if self.report else None
        return found


@dataclass
class Fleet:
    regions: tuple[str, ...]
    entries: list[Entry] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # gateways without CUSTOM_JWT
    failed_regions: list[dict[str, str]] = field(default_factory=list)  # gateways not listed there

    @property
    def errors(self) -> int:
        """One per gateway error, and one per region whose gateways could not be listed."""
        return sum(e.errors for e in self.entries) + len(self.failed_regions)

    def as_dict(self) -> dict[str, Any]:
        return {"mcpauth_doctor_all": 1, "regions": list(self.regions),
                "gateways": [e.as_dict() for e in self.entries], "skipped": self.skipped,
                "failed_regions": self.failed_regions,
                "summary": {"gateways": len(self.entries),
                            "with_errors": sum(e.errors > 0 for e in self.entries),
                            "errors": self.errors,
                            "warnings": sum(e.warnings for e in self.entries)}}


class ReadCache:
    """One fleet run's answers to read calls (Describe*, Get*, List*), shared by its gateways:
    gateways on one user pool read the pool, its domain, resource servers and clients once,
    and each gateway's GetGateway serves its run too. Only successful answers are kept, for
    this run only (a doctor run is a snapshot anyway); every call is still announced to the
    context's observers (-v, --record, the monitor's IAM test) before the cache answers it.
    Attached through botocore's before-call / after-call events: a before-call handler that
    returns (http response, parsed answer) stands in for the request (botocore client.py)."""

    def __init__(self) -> None:
        self._answers: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.hits = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._before)
        client.meta.events.register("after-call.*.*", self._after)

    @staticmethod
    def _key(model: Any, params: dict[str, Any], context: dict[str, Any]) -> tuple[Any, ...] | None:
        """The call as sent: region and URL (one endpoint may serve every region: the
        sandbox), operation, query and body."""
        from mcpauth_wizard.aws.session import is_mutating

        if is_mutating(model.name) or not model.name.startswith(("Describe", "Get", "List")):
            return None
        body = params.get("body")
        return (context.get("client_region"), params.get("url"), model.service_model.service_name,
                model.name, params.get("url_path"),
                repr(sorted((params.get("query_string") or {}).items()))
                if isinstance(params.get("query_string"), dict) else repr(params.get("query_string")),
                body if isinstance(body, (bytes, str)) else repr(body))

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        key = self._key(model, params, context)
        if key is None:
            return None
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                context["mcpauth_read_cache_key"] = key
                return None
            self.hits += 1
        http, parsed = found
        return http, copy.deepcopy(parsed)

    def _after(self, http_response: Any, parsed: Any, context: dict[str, Any], **_: Any) -> None:
        key = context.pop("mcpauth_read_cache_key", None)
        if key is not None and getattr(http_response, "status_code", 500) < 300 and isinstance(parsed, dict):
            with self._lock:
                self._answers.setdefault(key, (http_response, copy.deepcopy(parsed)))


def fleet_aws(base: Any, region: str, concurrency: int, cache: ReadCache | None = None) -> Any:
    """An AwsContext like `base` (profile, endpoint, observers) for `region`, adaptive retries,
    answering repeated reads from `cache` when given."""
    from mcpauth_wizard.aws.session import AwsContext

    return AwsContext(profile=base.profile, region=region, endpoint_url=base.endpoint_url,
                      call_observers=base.call_observers, answer_observers=base.answer_observers,
                      retry_mode="adaptive", max_pool_connections=max(10, concurrency * 2),
                      client_hooks=[cache.attach] if cache is not None else [])


def platforms_of(described: dict[str, Any]) -> list[str]:
    """The platforms an app client serves: the name init gives it (`mcpauth-<platform>`),
    else the platforms that send one of its callback URLs."""
    from mcpauth_wizard.mcp.platforms import PLATFORMS, platforms_of_url

    name = (described.get("ClientName") or "").removeprefix("mcpauth-")
    if name in PLATFORMS and described.get("ClientName") != name:
        return [name]
    found = [p.name for url in described.get("CallbackURLs") or [] for p in platforms_of_url(url)]
    return [p for p in dict.fromkeys(found) if p != "doctor"]


def read_setup(aws: Any, region: str, gateway_id: str, project: Any) -> Setup:
    """The setup of one gateway, from AWS reads — or, for the gateway mcpauth.toml records,
    the target a plain `mcpauth doctor` makes from that file (doctor/run.py make_target)."""
    from mcpauth_wizard.aws import agentcore, app_clients
    from mcpauth_wizard.doctor.run import make_target

    gateway = agentcore.get_gateway(aws, gateway_id)
    authorizer = agentcore.jwt_authorizer(gateway)
    pool_id = agentcore.pool_of_discovery(authorizer.get("discoveryUrl"))
    url = agentcore.mcp_url(gateway)
    if project is not None and project.gateway_id == gateway_id and (project.region or region) == region:
        recorded = make_target(project, url=None, platforms=None, client_id=None, secret_env=None,
                               pool_id=None, gateway_id=None, token_env=None, login_platform=None)
        return Setup(replace(recorded, url=url, region=region), "mcpauth.toml")
    clients: dict[str, str] = {}
    if pool_id:
        allowed = authorizer.get("allowedClients") or [
            c["ClientId"] for c in app_clients.list_clients(aws, pool_id)]
        for client_id in allowed:
            try:
                described = app_clients.describe_client(aws, pool_id, client_id)
            except NotFound:  # allowedClients names a deleted client: the run reports it
                continue
            for platform in platforms_of(described):
                clients.setdefault(platform, client_id)
    return Setup(Target(url=url, platforms=tuple(clients), clients=clients, pool_id=pool_id,
                        gateway_id=gateway_id, region=region), "client names and callbacks")


async def _one(aws: Any, region: str, summary: Any, project: Any, limit: asyncio.Semaphore,
               timeout: float | None) -> Entry:
    from mcpauth_wizard.core.errors import McpAuthError
    from mcpauth_wizard.doctor.run import diagnose

    entry = Entry(region, summary.id, summary.name)
    async with limit:
        try:
            entry.setup = await asyncio.to_thread(read_setup, aws, region, summary.id, project)
            entry.report = await asyncio.wait_for(
                diagnose(entry.setup.target, aws, None, **({"timeout": timeout} if timeout else {})),
                GATEWAY_TIMEOUT)
        except TimeoutError:
            entry.problem = f"the run did not finish within {GATEWAY_TIMEOUT:.0f}s"
        except McpAuthError as exc:
            entry.problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - one gateway's failure never ends the fleet run
            from mcpauth_wizard.aws.session import translate_aws_error

            problem = translate_aws_error(exc)
            entry.problem = str(problem) if problem else f"{type(exc).__name__}: {exc}"
    return entry


async def diagnose_all(base_aws: Any, regions: tuple[str, ...], project: Any = None, *,
                       concurrency: int = DEFAULT_CONCURRENCY, timeout: float | None = None,
                       on_entry: Callable[[Entry, int, int], None] | None = None) -> Fleet:
    """Every CUSTOM_JWT gateway of `regions`, at most `concurrency` runs at once; `on_entry`
    (entry, done, total) hears of each as it ends."""
    from mcpauth_wizard.aws import agentcore

    fleet = Fleet(regions)
    cache = ReadCache()
    contexts = {region: fleet_aws(base_aws, region, concurrency, cache) for region in regions}
    listed = await asyncio.gather(*(asyncio.to_thread(agentcore.list_gateways, contexts[r])
                                    for r in regions), return_exceptions=True)
    work: list[tuple[str, Any]] = []
    for region, summaries in zip(regions, listed, strict=True):
        if isinstance(summaries, BaseException):  # one region's failure never hides the others
            if not isinstance(summaries, Exception):
                raise summaries  # KeyboardInterrupt and the like end the run
            from mcpauth_wizard.aws.session import translate_aws_error

            said = translate_aws_error(summaries) or summaries
            fleet.failed_regions.append({"region": region,
                                         "problem": f"ListGateways failed: {said}"})
            continue
        for summary in summaries:
            if summary.authorizer_type == "CUSTOM_JWT":
                work.append((region, summary))
            else:
                fleet.skipped.append({"region": region, "gateway_id": summary.id, "name": summary.name,
                                      "authorizer_type": summary.authorizer_type or "NONE"})
    limit = asyncio.Semaphore(concurrency)
    tasks = [asyncio.create_task(_one(contexts[r], r, s, project, limit, timeout)) for r, s in work]
    done = 0
    for finished in asyncio.as_completed(tasks):
        entry = await finished
        done += 1
        if on_entry is not None:
            on_entry(entry, done, len(tasks))
    fleet.entries = [task.result() for task in tasks]  # in listing order, not finishing order
    return fleet


def run_all(base_aws: Any, regions: tuple[str, ...], project: Any = None, **kwargs: Any) -> Fleet:
    return asyncio.run(diagnose_all(base_aws, regions, project, **kwargs))


def summary_lines(fleet: Fleet) -> list[str]:
    """One line per gateway (never wrapped: ids whole), then the totals."""
    lines = []
    for entry in fleet.entries:
        mark = "✗" if entry.errors else ("!" if entry.warnings else "✓")
        causes = ", ".join(entry.root_causes) if entry.errors else ""
        what = entry.problem or causes
        lines.append(f"{mark} {entry.gateway_id} ({entry.name or '-'}) {entry.region}: "
                     f"{entry.errors} error(s), {entry.warnings} warning(s)" + (f" — {what}" if what else ""))
    for failed in fleet.failed_regions:
        lines.append(f"✗ region {failed['region']}: gateways not listed — {failed['problem']}")
    total = len(fleet.entries)
    broken = sum(e.errors > 0 for e in fleet.entries)
    regions = ", ".join(fleet.regions)
    lines.append(f"{total} gateway(s) with a JWT authorizer in {regions}: {broken} with errors"
                 + (f"; {len(fleet.skipped)} without one skipped" if fleet.skipped else ""))
    return lines
