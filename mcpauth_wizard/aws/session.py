"""A boto3 session from the standard credential chain, and AWS errors as one line each."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from mcpauth_wizard.core.errors import AwsProblem, BadInput, McpAuthError, NotFound

DEFAULT_REGION = "us-east-1"

# Operations that only read: everything else counts as a change (dry-run, idempotency).
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "AdminGet", "AdminList")
# Names of the mutating calls this process has sent: what an interrupted command may have changed.
MUTATING_CALLS_SENT: list[str] = []
# The reads each full-replace Update is built from, and where the resource sits in the answer
# (None: the answer is the resource). A member the installed botocore does not model is
# dropped by its parser, so an Update built from the read would erase it: see `unmodelled`.
FULL_REPLACE_READS: dict[str, str | None] = {
    "DescribeUserPoolClient": "UserPoolClient",  # → UpdateUserPoolClient
    "DescribeUserPool": "UserPool",  # → UpdateUserPool
    "DescribeResourceServer": "ResourceServer",  # → UpdateResourceServer
    "GetGateway": None,  # → UpdateGateway
}


@dataclass
class AwsContext:
    """Where and as whom mcpauth talks to AWS; the clients are made on first use."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    # Observers of every AWS call (operation name, params): -v logging, dry-run guard.
    call_observers: list[Callable[[str, str, dict[str, Any]], None]] = field(default_factory=list)
    # Observers of every AWS answer (service, operation, the request body as sent, HTTP status,
    # parsed answer): --record. The body travels in botocore's per-call context, so concurrent
    # calls of one operation are never paired with each other's answers.
    answer_observers: list[Callable[[str, str, Any, int | None, dict[str, Any]], None]] = field(
        default_factory=list)
    # What the AWS layer did on its own that the user must hear of (e.g. a duplicate deleted).
    notes: list[str] = field(default_factory=list)
    # Per read of FULL_REPLACE_READS: the members of its last raw answer botocore's model lacks.
    unmodelled: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # botocore's retry mode when AWS_RETRY_MODE is unset: "standard" for one setup (measured
    # faster than "adaptive" on a throttled run); `doctor --all` asks for "adaptive", whose
    # client-side rate limiter spreads a fleet's calls when AWS throttles.
    retry_mode: str = "standard"
    max_pool_connections: int = 10  # botocore's default; `doctor --all` raises it to its concurrency
    # Called with each new client after mcpauth's own event handlers are registered
    # (`doctor --all` attaches its read cache: doctor/fleet.py ReadCache).
    client_hooks: list[Callable[[Any], None]] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def session(self) -> Any:
        import boto3
        import botocore.exceptions

        try:
            session = boto3.Session(profile_name=self.profile)
        except botocore.exceptions.ProfileNotFound:
            import botocore.session

            known = botocore.session.Session().available_profiles
            raise BadInput(
                f"AWS profile {self.profile!r} not found; known: {', '.join(known) or 'none'}"
            ) from None
        return session

    @property
    def region_name(self) -> str:
        region = self.region or self.session.region_name or DEFAULT_REGION
        partition_of(region)  # refuses a region no AWS partition has
        return region

    @property
    def resolved_endpoint(self) -> str | None:
        url = self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        if url is not None:
            from urllib.parse import urlsplit

            where = "the AWS endpoint (--endpoint-url or AWS_ENDPOINT_URL)"
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                parts = None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
                    or any(c.isspace() for c in url):
                raise BadInput(f"{where} {url!r} is not a URL; accepted: http(s)://host[:port]")
        return url

    def client(self, service: str) -> Any:
        """A boto3 client with `retry_mode` retries (AWS_RETRY_MODE / AWS_MAX_ATTEMPTS win);
        one per service, made once even when threads ask at the same time."""
        with self._lock:
            return self._client(service)

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            retries: dict[str, Any] = {}
            _check_retry_environment()
            if "AWS_RETRY_MODE" not in os.environ:
                retries["mode"] = self.retry_mode
            if "AWS_MAX_ATTEMPTS" not in os.environ:
                retries["max_attempts"] = 5
            config = Config(retries=retries or None, connect_timeout=10, read_timeout=30,
                            max_pool_connections=self.max_pool_connections)
            client = self.session.client(
                service,
                region_name=self.region_name,
                endpoint_url=self.resolved_endpoint,
                config=config,
            )
            client.meta.events.register("before-call.*.*", self._notify)
            client.meta.events.register("after-call.*.*", self._note_unmodelled)
            client.meta.events.register("after-call.*.*", self._answered)
            for hook in self.client_hooks:
                hook(client)
            self._clients[service] = client
        return self._clients[service]

    def _notify(self, model: Any, params: dict[str, Any], context: Any = None, **_: Any) -> None:
        if is_mutating(model.name):
            MUTATING_CALLS_SENT.append(model.name)
        if isinstance(context, dict):
            context["mcpauth_request_body"] = params.get("body") or {}
        for observer in self.call_observers:
            observer(model.service_model.service_name, model.name, params.get("body") or {})

    def _answered(self, model: Any, http_response: Any = None, parsed: Any = None, context: Any = None,
                  **_: Any) -> None:
        body = context.get("mcpauth_request_body", {}) if isinstance(context, dict) else {}
        for observer in self.answer_observers:
            observer(model.service_model.service_name, model.name, body,
                     getattr(http_response, "status_code", None), parsed if isinstance(parsed, dict) else {})

    def _note_unmodelled(self, model: Any, http_response: Any = None, **_: Any) -> None:
        if model.name not in FULL_REPLACE_READS or http_response is None:
            return
        import json

        key = FULL_REPLACE_READS[model.name]
        try:
            raw = json.loads(http_response.content or b"{}")
        except ValueError:
            return  # not JSON: botocore's parser says what went wrong
        shape = model.output_shape
        if key is not None:
            raw, shape = raw.get(key), shape.members.get(key)
        self.unmodelled[model.name] = tuple(unmodelled_members(raw, shape)) if shape is not None else ()

    def refuse_unmodelled(self, read: str, what: str, update: str) -> None:
        """Before a full-replace `update` built from the last `read`: refuse when AWS answered
        members the installed botocore does not know (the write would erase them)."""
        members = self.unmodelled.get(read) or ()
        if members:
            import botocore

            raise AwsProblem(
                f"{what} has {', '.join(members)}, which botocore {botocore.__version__} does not "
                f"know: {update} would erase {'it' if len(members) == 1 else 'them'}, so nothing was "
                f"written. Upgrade to a botocore newer than {botocore.__version__} "
                "(`pip install -U boto3 botocore`) and run again")

    def require_credentials(self, what: str) -> None:
        """Bad input (one line, exit 2) when no credentials are found for a command that only
        works with them; `what` names the command."""
        if self.session.get_credentials() is None:
            raise BadInput(f"{what} needs AWS credentials: none found (set AWS_PROFILE or run "
                           "`aws sso login`)")

    def caller(self) -> dict[str, Any]:
        """Who mcpauth is in AWS (STS GetCallerIdentity: Account, Arn, UserId)."""
        return self.client("sts").get_caller_identity()

    def account_id(self) -> str:
        return self.caller()["Account"]


def _check_retry_environment() -> None:
    """AWS_MAX_ATTEMPTS and AWS_RETRY_MODE as botocore reads them, checked here so that a typo
    is one line, not a traceback from deep inside botocore."""
    attempts = os.environ.get("AWS_MAX_ATTEMPTS")
    if attempts is not None and not (attempts.strip().isdigit() and int(attempts) >= 1):
        raise BadInput(f"AWS_MAX_ATTEMPTS {attempts!r} is not a number of attempts; accepted: a whole "
                       "number from 1, e.g. 5")
    mode = os.environ.get("AWS_RETRY_MODE")
    if mode is not None and mode not in ("legacy", "standard", "adaptive"):
        raise BadInput(f"AWS_RETRY_MODE {mode!r}; accepted: legacy, standard or adaptive")


@dataclass(frozen=True)
class Partition:
    """An AWS partition (botocore data/partitions.json): its regions and DNS suffix."""

    id: str
    dns_suffix: str  # e.g. amazonaws.com, amazonaws.com.cn, amazonaws.eu
    region_regex: str
    regions: tuple[str, ...]


def partitions() -> tuple[Partition, ...]:
    """Every partition botocore knows (so new regions need no code change)."""
    return _partitions()


@lru_cache(maxsize=1)
def _partitions() -> tuple[Partition, ...]:
    from botocore.loaders import create_loader

    data = create_loader().load_data("partitions")
    return tuple(
        Partition(id=p["id"], dns_suffix=p["outputs"]["dnsSuffix"], region_regex=p["regionRegex"],
                  regions=tuple(r for r in p.get("regions", {}) if not r.endswith("-global")))
        for p in data["partitions"]
    )


def partition_of(region: str) -> Partition:
    """The partition of a region (listed, or matching its regionRegex); else BadInput."""
    for partition in partitions():
        if region in partition.regions:
            return partition
    for partition in partitions():
        if re.match(partition.region_regex, region or ""):
            return partition
    raise BadInput(f"unknown AWS region {region!r}; accepted: a region of an AWS partition, "
                   "e.g. us-east-1, eu-west-1, cn-north-1, us-gov-west-1, eusc-de-east-1")


def dns_suffix(region: str) -> str:
    """The DNS suffix of AWS service hosts in that region (amazonaws.com, .com.cn, .eu…)."""
    return partition_of(region).dns_suffix


def update_params(aws: AwsContext, service: str, operation: str, described: dict[str, Any]) -> dict[str, Any]:
    """The Update call's full parameter set from a Describe result.

    Keeps exactly the members the Update operation accepts (read from the botocore service
    model, so new AWS fields are carried over without a code change) and drops read-only
    ones such as ClientSecret, CreationDate and LastModifiedDate.
    """
    model = aws.client(service).meta.service_model.operation_model(operation)
    accepted = model.input_shape.members
    return {k: v for k, v in described.items() if k in accepted and v is not None}


def paginate(aws: AwsContext, service: str, operation: str, key: str, *,
             page_size: int | None = None, **params: Any) -> Iterator[dict[str, Any]]:
    """The items under `key` of every page of a List call, by botocore's paginator (pages of
    `page_size` when given). A generator: a caller that stops early reads no further page."""
    config = {"PageSize": page_size} if page_size else {}
    paginator = aws.client(service).get_paginator(operation)
    for page in paginator.paginate(**params, PaginationConfig=config):
        yield from page.get(key, [])


def unmodelled_members(raw: Any, shape: Any, path: str = "") -> list[str]:
    """Dotted paths of the members in a raw JSON answer that `shape` (a botocore shape)
    does not model, at any depth (structures, lists, maps)."""
    found: list[str] = []
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(raw, dict):
        wire = {m.serialization.get("name", n): m for n, m in shape.members.items()}
        for name, value in raw.items():
            member = wire.get(name)
            where = f"{path}.{name}" if path else name
            if member is None:
                found.append(where)
            else:
                found.extend(unmodelled_members(value, member, where))
    elif kind == "list" and isinstance(raw, list):
        for item in raw:
            found.extend(m for m in unmodelled_members(item, shape.member, f"{path}[]") if m not in found)
    elif kind == "map" and isinstance(raw, dict):
        for key, value in raw.items():
            found.extend(unmodelled_members(value, shape.value, f"{path}.{key}"))
    return found


def is_mutating(operation: str) -> bool:
    """Does this AWS operation change anything?"""
    return not operation.startswith(READ_ONLY_PREFIXES)


def translate_aws_error(exc: BaseException) -> McpAuthError | None:
    """One user-facing line for a botocore exception, or None if it is not one."""
    module = type(exc).__module__ or ""
    if not module.startswith(("botocore", "boto3")):
        return None
    import botocore.exceptions as bx

    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return AwsProblem(
            "no AWS credentials found: set AWS_PROFILE or pass --profile, run `aws sso login`, "
            "or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, (bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError, bx.TokenRetrievalError)):
        return AwsProblem("the AWS SSO session has expired: run `aws sso login` and try again")
    if isinstance(exc, bx.NoRegionError):
        return BadInput("no AWS region: pass --region or set AWS_REGION (e.g. us-east-1)")
    if isinstance(exc, bx.EndpointConnectionError):
        return AwsProblem(f"cannot reach the AWS endpoint {exc.kwargs.get('endpoint_url')}")
    if isinstance(exc, bx.ParamValidationError):
        return BadInput(f"invalid AWS request: {exc}".replace("\n", " "))
    if isinstance(exc, bx.ClientError):
        return _client_error(exc)
    if isinstance(exc, bx.BotoCoreError):
        return AwsProblem(f"AWS: {exc}".replace("\n", " "))
    return None


def not_found_as(exc: Exception, what: str) -> Exception:
    """To raise for a failed call on one named resource: "<what> not found" when AWS said it
    does not exist, else the exception itself."""
    if isinstance(translate_aws_error(exc), NotFound):
        return NotFound(f"{what} not found")
    return exc


def or_none(read: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """The result of a Describe call, or None when AWS says the thing does not exist."""
    try:
        return read()
    except Exception as exc:
        if isinstance(translate_aws_error(exc), NotFound):
            return None
        raise


def is_unreachable(exc: BaseException) -> bool:
    """Did the call fail because no AWS endpoint answered (connection refused or timed out)?"""
    import botocore.exceptions as bx

    return isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError))


def _client_error(exc: Any) -> McpAuthError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    message = (error.get("Message") or "").strip().replace("\n", " ")
    operation = exc.operation_name
    attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return AwsProblem("the AWS session token has expired: refresh your credentials and retry")
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return AwsProblem(f"access denied for {operation}: your AWS identity lacks that permission")
    if code in ("UnrecognizedClientException", "InvalidClientTokenId"):
        return AwsProblem("AWS does not recognise these credentials (wrong account or region?)")
    if code in ("ThrottlingException", "TooManyRequestsException", "Throttling"):
        return AwsProblem(f"AWS throttled {operation} after {attempts + 1} attempts; retry shortly")
    if code == "ResourceNotFoundException":
        return NotFound(f"not found ({operation}): {message}")
    if code in ("InvalidParameterException", "ValidationException"):
        return BadInput(f"AWS refused {operation}: {message}")
    return AwsProblem(f"AWS {operation} failed: {code}: {message}")
