"""What the doctor knows (the target) and learns (facts), and its one HTTP client.

Every request has a timeout and a deadline, follows no redirect by itself, reads what
bounds.py allows (counted after decoding), and is memoised, so steps can start fetches
early (prefetch) and share them. A redirect a step follows goes through `follow`: one hop
at a time, never from https down to plain http (loopback aside).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from dataclasses import dataclass, field
from typing import Any

from mcpauth_wizard.core.redact import REDACTED, redact_headers, redact_text
from mcpauth_wizard.doctor.bounds import (
    ACCEPT_ENCODING,
    BODY_LIMIT,
    MAX_HEADERS,
    Bound,
    Exceeded,
    Inflater,
    coding_of,
)

TIMEOUT = 10.0
# The step whose code started a request (set by the runner; a fetch's task inherits it).
CURRENT_STEP: contextvars.ContextVar[str] = contextvars.ContextVar("mcpauth_doctor_step", default="")
DEADLINE_FACTOR = 2  # a whole exchange, however slowly its bytes come: 2 × the read timeout


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and what came back (or why nothing did); secrets redacted on output."""

    method: str
    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    elapsed_ms: int = 0
    request_headers: dict[str, str] = field(default_factory=dict)
    bound: Bound | None = None  # the limit the answer ran into (then error says so too)

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested deeper than parsable
            return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    def evidence(self, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
        shown = {k: v for k, v in self.headers.items()
                 if k in ("www-authenticate", "x-amzn-remapped-www-authenticate", "location",
                          "content-type", "access-control-allow-origin")}
        data: dict[str, Any] = {"request": f"{self.method} {redact_text(self.url, secrets)}"}
        if self.error:
            data["error"] = self.error
        else:
            data["status"] = self.status
            if shown:
                data["headers"] = {k: redact_text(v, secrets) for k, v in shown.items()}
            if self.body:
                data["body"] = redact_text(self.text[:500], secrets)
        return data


@dataclass
class Target:
    """What to check: the MCP URL, the platforms, and what AWS holds about them."""

    url: str
    platforms: tuple[str, ...]
    clients: dict[str, str] = field(default_factory=dict)  # platform → client id
    secrets: dict[str, str] = field(default_factory=dict)  # platform → client secret (never shown)
    pool_id: str | None = None
    gateway_id: str | None = None
    region: str | None = None
    scopes: tuple[str, ...] = ()  # short resource scope names expected (from mcpauth.toml)
    token: str | None = None  # --token-env: an access token to validate
    login_platform: str | None = None  # --login: sign in with this platform's client
    issuer: str | None = None  # --issuer: the authorization server the user says owns the secret
    proxy_client: str | None = None  # an OAuth proxy's own Cognito app client (upstream)
    proxy_base_url: str | None = None  # that proxy's base URL (its callback: <base>/auth/callback)
    state_probes: int = 8  # authorizations the proxy state probe starts; 0: --no-state-probe
    probe_registration: bool = False  # --probe-registration: register a client, then delete it
    call_tool: str | None = None  # --call-tool: after signing in, call this tool (arguments {})
    client_metadata_url: str | None = None  # --client-metadata-url: the doctor's hosted CIMD
    registering: tuple[str, ...] = ()  # recorded platforms that register themselves (init dcr / both)
    audit: bool = False  # --audit: forged tokens to the MCP server, the AS's enforced posture


class Context:
    """Shared state of one doctor run."""

    def __init__(self, target: Target, aws: Any | None, aws_problem: str | None = None,
                 timeout: float = TIMEOUT) -> None:
        import httpx

        self.target = target
        self.aws = aws
        self.aws_problem = aws_problem
        self.timeout = timeout
        self.http = httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                      headers={"User-Agent": "mcpauth-doctor",
                                               "Accept-Encoding": ACCEPT_ENCODING})
        self.facts: dict[str, Any] = {}
        self._fetches: dict[tuple[str, str, str], asyncio.Task[Exchange]] = {}
        self.opener: Any = None  # --login: how to show the authorize URL to the user
        self.step_events: dict[str, asyncio.Event] = {}
        self.bounded: list[Exchange] = []  # answers that ran into a limit (one finding each)
        self._signals: dict[str, asyncio.Event] = {}
        # Every exchange in the order it started: (step, started at (s since the run began),
        # the request's body as ("form" | "json", value) or None, the exchange). --trace and --record read it.
        self.started = time.perf_counter()
        self.log: list[tuple[str, float, Any, Exchange]] = []

    async def after(self, step_id: str) -> None:
        """Wait for another step inside a step (for inputs needed late, not at the start)."""
        event = self.step_events.get(step_id)
        if event is not None:
            await event.wait()

    def _signal_event(self, name: str) -> asyncio.Event:
        return self._signals.setdefault(name, asyncio.Event())

    def signal(self, name: str) -> None:
        """A fact a step learnt early (before the step ends) is there: see `signalled`."""
        self._signal_event(name).set()

    async def signalled(self, name: str, *, unless_step_absent: str) -> None:
        """Wait for `signal(name)`, only if the step that gives it is part of this run."""
        if unless_step_absent in self.step_events:
            await self._signal_event(name).wait()

    async def close(self) -> None:
        await self.http.aclose()

    @property
    def secret_values(self) -> tuple[str, ...]:
        return tuple(v for v in self.target.secrets.values() if v)

    def fetch(self, method: str, url: str, *, headers: dict[str, str] | None = None,
              data: dict[str, str] | None = None, json_body: Any = None,
              auth: tuple[str, str] | None = None, limit: int = BODY_LIMIT) -> asyncio.Task[Exchange]:
        """Start (or join) a request; identical GETs are made once per run."""
        key = (method, url, json.dumps([headers, data, json_body, auth, limit], sort_keys=True, default=str))
        if method != "GET" or key not in self._fetches:
            task = asyncio.ensure_future(self._send(method, url, headers or {}, data, json_body, auth, limit))
            if method == "GET":
                self._fetches[key] = task
            return task
        return self._fetches[key]

    async def follow(self, answer: Exchange, *, limit: int = BODY_LIMIT) -> Exchange | None:
        """One redirect hop of `answer` (a GET), or None when it names none. From https
        down to plain http is refused (loopback aside): the Exchange says why."""
        from urllib.parse import urljoin, urlsplit

        from mcpauth_wizard.oauth.loopback import is_loopback

        if not answer.location:
            return None
        target = urljoin(answer.url, answer.location)
        parts = urlsplit(target)
        plain_ok = parts.scheme == "http" and (urlsplit(answer.url).scheme == "http"
                                               or is_loopback(parts.hostname or ""))
        if parts.scheme != "https" and not plain_ok:
            return Exchange("GET", target, error=f"redirect from {answer.url} to {parts.scheme}: "
                            "refused (https only; plain http for loopback)")
        return await self.fetch("GET", target, limit=limit)

    async def _send(self, method: str, url: str, headers: dict[str, str], data: Any,
                    json_body: Any, auth: tuple[str, str] | None, limit: int) -> Exchange:
        started = time.perf_counter()
        shown_headers = redact_headers(headers)
        if auth:
            shown_headers["authorization"] = REDACTED
        sent = ("form", data) if data is not None else ("json", json_body) if json_body is not None else None
        step, at = CURRENT_STEP.get(), started - self.started
        try:
            async with asyncio.timeout(self.timeout * DEADLINE_FACTOR):
                answer = await self._exchange(method, url, headers, data, json_body, auth, limit,
                                              started, shown_headers)
        except TimeoutError:
            answer = Exchange(method, url, error=f"no whole answer within {self.timeout * DEADLINE_FACTOR:.0f}s",
                              elapsed_ms=_ms(started), request_headers=shown_headers)
        self.log.append((step, at, sent, answer))
        return answer

    async def _exchange(self, method: str, url: str, headers: dict[str, str], data: Any,
                        json_body: Any, auth: tuple[str, str] | None, limit: int,
                        started: float, shown_headers: dict[str, str]) -> Exchange:
        import httpx

        try:
            request = self.http.build_request(method, url, headers=headers, data=data, json=json_body)
            response = await self.http.send(request, stream=True,
                                            auth=httpx.BasicAuth(*auth) if auth else None)
            answer_headers = {k.lower(): v for k, v in response.headers.items()}
            try:
                if len(response.headers.raw) > MAX_HEADERS:
                    raise Exceeded(Bound("HTTP_RESPONSE_TOO_LARGE", f"{len(response.headers.raw)} "
                                         f"header fields (at most {MAX_HEADERS} are read)"))
                inflater = Inflater(coding_of(response.headers.get_list("content-encoding")), limit)
                async for chunk in response.aiter_raw():
                    inflater.feed(chunk)
                body = inflater.close()
            except Exceeded as exc:
                answer = Exchange(method, url, response.status_code, answer_headers,
                                  error=f"{exc.bound.message}: not read", elapsed_ms=_ms(started),
                                  request_headers=shown_headers, bound=exc.bound)
                self.bounded.append(answer)
                return answer
            finally:
                await response.aclose()
            return Exchange(method, url, response.status_code, answer_headers, body,
                            elapsed_ms=_ms(started), request_headers=shown_headers)
        except httpx.TimeoutException:
            error = "timed out"
        except httpx.ConnectError as exc:
            error = f"cannot connect ({exc})"
        except httpx.RemoteProtocolError as exc:
            error = f"the server closed the connection ({exc})"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except (ValueError, httpx.InvalidURL) as exc:  # a malformed URL (or one IDNA refuses)
            error = f"invalid URL ({exc})"
        return Exchange(method, url, error=error, elapsed_ms=_ms(started), request_headers=shown_headers)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
