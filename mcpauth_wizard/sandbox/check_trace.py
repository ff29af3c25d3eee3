"""`mcpauth sandbox check-trace FILE`: can real AWS prove the sandbox wrong?

A record (`mcpauth doctor --record FILE`, from real AWS or from a sandbox) is replayed
against a fresh sandbox shaped like the recorded setup: the platforms, ports and scopes go
through `mcpauth init` (so the sandbox is set up the way the product sets up AWS), then each
app client gets the OAuth settings AWS described in the record (a callback removed stays
removed). Each recorded request is sent again — its URLs, ids and scopes mapped from the
recorded setup's names to the sandbox's — and the answers compared: status, the OAuth
`error`, the challenge and redirect headers (present or missing, their error and target),
and the fields of metadata documents. Every difference is a divergence (exit 1).

What cannot be replayed is said, not guessed: a request whose bearer token was redacted
(a real token) is replayed only where the recorded answer refused it; a client secret that
was redacted is replaced by the sandbox client's own. A client that registered itself during
the run (`/oauth2/register`, e.g. `doctor --probe-registration`) gets a new id in the sandbox:
later requests naming the recorded id name the new one.

The registration mode is the record's: with dynamic client registration on in the recorded
pool (`setup.pool.DcrConfiguration`), init runs with `--registration dcr` when no recorded
platform has an app client, `both` when some have (registration_mode), and the pool then gets
the recorded DcrConfiguration.

A trace made from a source that quotes only part of an answer (a documentation page, an issue
thread; tests/traces/) says so per exchange: `"quoted": [...]` names the parts the source
shows, and only those are compared — "status"; "error" (the body's OAuth error); "fields"
(the metadata document's field names, all of them); "fields-until:NAME" (a document the source
shows sorted by name and cut after NAME: the fields up to NAME, none more, none fewer);
"header:NAME" for NAME in COMPARED_HEADERS. Without `quoted`, everything above is compared.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.core.redact import REDACTED

COMPARED_HEADERS = ("www-authenticate", "location", "access-control-allow-origin")
QUOTED_PARTS = ("status", "error", "fields", *(f"header:{h}" for h in COMPARED_HEADERS))
FIELDS_UNTIL = "fields-until:"
BODY_LIMIT = 1024 * 1024  # an answer read past this is not compared (the doctor's own bound)
CLIENT_SETTINGS = ("CallbackURLs", "AllowedOAuthFlows", "AllowedOAuthScopes", "SupportedIdentityProviders",
                   "AllowedOAuthFlowsUserPoolClient", "LogoutURLs")


@dataclass
class Result:
    divergences: list[str] = field(default_factory=list)
    replayed: int = 0
    skipped: list[str] = field(default_factory=list)


def load(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise BadInput(f"record {path!r} not found") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"record {path!r} is not JSON ({exc}); accepted: a file `mcpauth doctor --record` "
                       "wrote") from None
    if not isinstance(data, dict) or data.get("mcpauth_record") != 1 or not isinstance(data.get("exchanges"), list):
        raise BadInput(f"record {path!r} is not a mcpauth record (version 1); accepted: a file "
                       "`mcpauth doctor --record` wrote")
    target = data.get("target") or {}
    if not target.get("gateway_id") or not target.get("platforms"):
        raise BadInput(f"record {path!r} is not of a gateway setup with platforms; check-trace replays "
                       "those (a run of `mcpauth doctor` in a folder `mcpauth init` set up)")
    for index, exchange in enumerate(data["exchanges"], 1):
        quoted = exchange.get("quoted") if isinstance(exchange, dict) else None
        if quoted is None:
            continue
        bad = [q for q in quoted if not isinstance(q, str) or q not in QUOTED_PARTS
               and not (q.startswith(FIELDS_UNTIL) and len(q) > len(FIELDS_UNTIL))] \
            if isinstance(quoted, list) else [quoted]
        if bad or not quoted:
            raise BadInput(f"record {path!r}: exchange #{index} quotes {bad or 'nothing'}; accepted: a "
                           f"list of {', '.join(QUOTED_PARTS)}, {FIELDS_UNTIL}NAME")
    return data


_SCHEMELESS = re.compile(r"^\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=")


def _header_param(value: str, name: str) -> str | None:
    """A Bearer challenge's parameter. A challenge quoted without its scheme (Cognito's userInfo
    page prints `WWW-Authenticate: error="invalid_token", …`) is read as Bearer's parameters."""
    from mcpauth_wizard.doctor.challenge import bearer_params

    params = bearer_params(value)
    if params is None and _SCHEMELESS.match(value or ""):
        params = bearer_params(f"Bearer {value}")
    return (params or {}).get(name)


def _fields(recorded: dict[str, Any], got: dict[str, Any], label: str, until: str | None) -> list[str]:
    """The metadata document's field names; `until`: only those sorting up to it (the source
    shows a sorted document cut after that field)."""
    old_body, new_body = recorded.get("body"), got.get("body")
    if not isinstance(old_body, dict) or not isinstance(new_body, dict):
        return []
    old, new = set(old_body), set(new_body)
    if until is not None:
        new = {f for f in new if f <= until}
    out = []
    missing, extra = sorted(old - new), sorted(new - old)
    if missing:
        out.append(f"{label}: metadata field(s) {', '.join(missing)} recorded, missing in the sandbox")
    if extra:
        out.append(f"{label}: metadata field(s) {', '.join(extra)} from the sandbox, not recorded")
    return out


def compare(recorded: dict[str, Any], got: dict[str, Any], label: str) -> list[str]:
    """Divergences of one replayed exchange (`got` shaped like a record, URLs already mapped);
    only the parts the exchange says its source quotes, when it says so (`quoted`)."""
    quoted = recorded.get("quoted")
    parts = set(quoted) if quoted is not None else {*QUOTED_PARTS}

    out = []
    if "status" in parts and recorded.get("status") != got.get("status"):
        out.append(f"{label}: status {recorded.get('status')} recorded, {got.get('status')} from the sandbox")
    old_body, new_body = recorded.get("body"), got.get("body")
    if "error" in parts and (isinstance(old_body, dict) or isinstance(new_body, dict)):
        old_error = old_body.get("error") if isinstance(old_body, dict) else None
        new_error = new_body.get("error") if isinstance(new_body, dict) else None
        if old_error != new_error:
            out.append(f"{label}: OAuth error {old_error!r} recorded, {new_error!r} from the sandbox")
    if ".well-known" in recorded["url"]:
        until = next((p[len(FIELDS_UNTIL):] for p in parts if p.startswith(FIELDS_UNTIL)), None)
        if "fields" in parts or until is not None:
            out += _fields(recorded, got, label, None if "fields" in parts else until)
    old_headers, new_headers = recorded.get("headers") or {}, got.get("headers") or {}
    for name in COMPARED_HEADERS:
        if f"header:{name}" not in parts:
            continue
        if (name in old_headers) != (name in new_headers):
            said = "recorded, missing in the sandbox" if name in old_headers else "from the sandbox, not recorded"
            out.append(f"{label}: header {name} {said}")
    if "header:www-authenticate" in parts and "www-authenticate" in old_headers and "www-authenticate" in new_headers:
        for param in ("error", "scope"):
            a = _header_param(old_headers["www-authenticate"], param)
            b = _header_param(new_headers["www-authenticate"], param)
            if a != b:
                out.append(f"{label}: WWW-Authenticate {param} {a!r} recorded, {b!r} from the sandbox")
    if "header:location" in parts and "location" in old_headers and "location" in new_headers:
        a, b = urlsplit(old_headers["location"]), urlsplit(new_headers["location"])
        if a.path != b.path:
            out.append(f"{label}: redirect to {a.path} recorded, {b.path} from the sandbox")
        ea, eb = parse_qs(a.query).get("error"), parse_qs(b.query).get("error")
        if ea != eb:
            out.append(f"{label}: redirect error {ea} recorded, {eb} from the sandbox")
    return out


class Mapping:
    """The recorded setup's names → the sandbox's, longest first (URLs before ids)."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self.pairs = sorted(((a, b) for a, b in pairs.items() if a and b and a != b),
                            key=lambda p: len(p[0]), reverse=True)

    def add(self, old: str, new: str) -> None:
        """A name learnt during the replay (a client id that registration handed out)."""
        if old and new and old != new:
            self.pairs = sorted([*self.pairs, (old, new)], key=lambda p: len(p[0]), reverse=True)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            for old, new in self.pairs:
                value = value.replace(old, new)
            return value
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _names(target: dict[str, Any], setup: dict[str, Any]) -> dict[str, str]:
    """The names a record's URLs and bodies are made of, the more specific first (on AWS the
    login domain's base URL is its origin, and the gateway's base URL may be too)."""
    url = str(target["url"])
    found = {"url": url, "gateway_base": url.removesuffix("/mcp"), "gateway_id": str(target["gateway_id"]),
             "pool_id": str(target.get("pool_id") or ""), "origin": _origin(url)}
    metadata = setup.get("as") or {}
    if metadata.get("issuer"):
        found["issuer"] = str(metadata["issuer"])
        found["issuer_origin"] = _origin(str(metadata["issuer"]))
    if metadata.get("authorization_endpoint"):
        found["login_base"] = str(metadata["authorization_endpoint"]).removesuffix("/oauth2/authorize")
        found["login_origin"] = _origin(str(metadata["authorization_endpoint"]))
    for platform, client_id in (target.get("clients") or {}).items():
        found[f"client:{platform}"] = str(client_id)
    return found


def replay(data: dict[str, Any], *, say: Any = print, fresh: bool = False) -> Result:
    """Shape a sandbox like the record, replay every exchange, list the divergences.
    `fresh`: forget what an earlier replay in this process left in moto (its state is per
    process: the sandboxes of one check-trace run follow one another, never overlap)."""
    import httpx

    from mcpauth_wizard.sandbox.server import Sandbox

    target, setup = data["target"], data.get("setup") or {}
    result = Result()
    with Sandbox().start() as sandbox, tempfile.TemporaryDirectory() as folder:
        if fresh:
            sandbox.control_plane.reset()
        new_target, new_setup, secrets = _shape(sandbox, folder, target, setup)
        old, new = _names(target, setup), _names(new_target, new_setup)
        pairs: dict[str, str] = {}
        for key in old:  # the first name wins: on AWS a login base is its origin, a gateway base too
            if key in new:
                pairs.setdefault(old[key], new[key])
        mapping = Mapping(pairs)
        sandbox_origin = _origin(str(new_target["url"]))
        by_client = {v: k.removeprefix("client:") for k, v in new.items() if k.startswith("client:")}
        with httpx.Client(timeout=10.0, follow_redirects=False) as http:
            for index, recorded in enumerate(data["exchanges"], 1):
                label = f"#{index} {recorded.get('step') or '?'} {recorded['method']} {urlsplit(recorded['url']).path}"
                if recorded.get("error"):
                    result.skipped.append(f"{label}: no answer was recorded ({recorded['error']})")
                    continue
                headers = {k: v for k, v in (recorded.get("request_headers") or {}).items()
                           if v != REDACTED and k not in ("content-length", "host", "accept-encoding")}
                auth = None
                credential = (recorded.get("request_headers") or {}).get("authorization")
                body = mapping(recorded.get("request_body"))
                if credential == REDACTED:
                    if recorded.get("status") in (401, 403) or "/oauth2/token" in recorded["url"]:
                        client = by_client.get(str((body or {}).get("client_id") or ""))
                        step_platform = str(recorded.get("step") or "").partition(".")[2]
                        if client is None and step_platform in secrets:  # Basic: the step's client
                            client = step_platform
                        if "/oauth2/token" in recorded["url"] and client and secrets.get(client):
                            auth = (new[f"client:{client}"], secrets[client])
                        elif "/oauth2/token" not in recorded["url"]:
                            headers["authorization"] = "Bearer mcpauth-replay-redacted-token"
                    else:
                        result.skipped.append(f"{label}: its credential was redacted and the recorded "
                                              f"answer ({recorded.get('status')}) accepted it")
                        continue
                url = mapping(recorded["url"])
                if _origin(url) != sandbox_origin:  # never sent anywhere but this sandbox
                    result.skipped.append(f"{label}: {_origin(url)} is not part of the recorded setup")
                    continue
                kind = recorded.get("request_body_kind")
                got = _send(http, recorded["method"], url, mapping(headers), body, kind, auth)
                if got is None:
                    result.skipped.append(f"{label}: the sandbox's answer ran past {BODY_LIMIT} bytes")
                    continue
                result.replayed += 1
                result.divergences += compare(mapping(recorded), got, label)
                if "/oauth2/register" in url:  # the registered client's later requests name the new id
                    mapping.add(_client_id(recorded), _client_id(got))
    say(f"{result.replayed} exchange(s) replayed, {len(result.divergences)} divergence(s)"
        + (f", {len(result.skipped)} not replayable" if result.skipped else ""))
    return result


def _send(http: Any, method: str, url: str, headers: dict[str, str], body: Any, kind: str | None,
          auth: tuple[str, str] | None) -> dict[str, Any] | None:
    """One request; its answer as a record shapes it (status, headers, JSON body), read within
    BODY_LIMIT; None past it."""
    with http.stream(method, url, headers=headers, data=body if kind == "form" else None,
                     json=body if kind == "json" else None, auth=auth) as answer:
        chunks, size = [], 0
        for chunk in answer.iter_bytes():
            size += len(chunk)
            if size > BODY_LIMIT:
                return None
            chunks.append(chunk)
        got: dict[str, Any] = {"status": answer.status_code,
                               "headers": {k.lower(): v for k, v in answer.headers.items()}}
    try:
        got["body"] = json.loads(b"".join(chunks)) if chunks else None
    except ValueError:
        pass
    if got.get("body") is None:
        got.pop("body", None)
    return got


def _client_id(answer: dict[str, Any]) -> str:
    """The client id a registration answer handed out ("" if none)."""
    body = answer.get("body")
    found = body.get("client_id") if isinstance(body, dict) else None
    return found if isinstance(found, str) else ""


def recorded_dcr(setup: dict[str, Any]) -> dict[str, Any] | None:
    """The recorded pool's DcrConfiguration when registration is on (EnableStatus defaults to on)."""
    dcr = (setup.get("pool") or {}).get("DcrConfiguration")
    if not isinstance(dcr, dict) or dcr.get("EnableStatus", "Enabled") != "Enabled":
        return None
    return dcr


def registration_mode(target: dict[str, Any], setup: dict[str, Any]) -> str:
    """init's --registration for the record: static without registration; with it, dcr when no
    recorded platform has an app client of its own, static when every one has (registration
    turned on beside them: the recorded DcrConfiguration is written after init), else both."""
    if recorded_dcr(setup) is None:
        return "static"
    with_client = set(target.get("clients") or {}) & set(target["platforms"])
    if not with_client:
        return "dcr"
    return "static" if with_client == set(target["platforms"]) else "both"


def _shape(sandbox: Any, folder: str, target: dict[str, Any], setup: dict[str, Any]
           ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """`mcpauth init` for the recorded platforms, ports and registration mode, then each
    client's recorded OAuth settings and the pool's recorded DcrConfiguration; the sandbox's
    target, setup (AS metadata) and client secrets."""
    import os
    import subprocess
    import sys

    from mcpauth_wizard.core.project import load_project

    seed = sandbox.seed()
    platforms = list(target["platforms"])
    args = ["init", "--pool-id", seed.pool_id, "--domain", "replay-login", "--gateway-id", seed.gateway_id,
            "--platform", ",".join(platforms), "--registration", registration_mode(target, setup),
            "--yes", "--allow-breaking", "--no-input"]
    for name, port in (target.get("ports") or {}).items():
        if name in platforms:
            args += ["--port", f"{name}={port}"]
    # init as a user runs it, in a process of its own, against this sandbox
    done = subprocess.run([sys.executable, "-m", "mcpauth_wizard", *args], cwd=folder, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env={**os.environ, **sandbox.aws_env()})
    if done.returncode:
        raise BadInput(f"the sandbox could not be set up like the record (init exit {done.returncode}): "
                       f"{(done.stdout + done.stderr)[-500:]}")
    project = load_project(Path(folder) / "mcpauth.toml")
    cognito = sandbox.boto("cognito-idp")
    new_clients = {p: project.client_for(p) for p in platforms if project.client_for(p)}
    recorded_clients = setup.get("clients") or {}
    secrets: dict[str, str] = {}
    old_url, new_url = str(target["url"]), str(project.resource_url)
    for platform, client_id in new_clients.items():
        current = cognito.describe_user_pool_client(UserPoolId=seed.pool_id, ClientId=client_id)["UserPoolClient"]
        if current.get("ClientSecret"):
            secrets[platform] = current["ClientSecret"]
        recorded = recorded_clients.get(platform)
        if not isinstance(recorded, dict):
            continue
        wanted = {k: recorded[k] for k in CLIENT_SETTINGS if k in recorded}
        if "AllowedOAuthScopes" in wanted:  # scopes name the recorded MCP URL
            wanted["AllowedOAuthScopes"] = [s.replace(old_url, new_url) for s in wanted["AllowedOAuthScopes"]]
        writable = {k: v for k, v in current.items()
                    if k not in ("ClientSecret", "CreationDate", "LastModifiedDate", "ClientType")}
        cognito.update_user_pool_client(**{**writable, **wanted})  # read → merge → write (sandbox only)
    dcr = recorded_dcr(setup)
    if dcr is not None:  # the recorded registration rules (scopes name the recorded MCP URL)
        _set_dcr(cognito, seed.pool_id, {**dcr, "AllowedScopes": [
            s.replace(old_url, new_url) for s in dcr.get("AllowedScopes") or []]})
    import httpx

    issuer = sandbox.issuer(seed.pool_id)
    metadata = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10.0).json()
    new_target = {"url": new_url, "gateway_id": seed.gateway_id, "pool_id": seed.pool_id,
                  "clients": new_clients, "platforms": platforms}
    return new_target, {"as": metadata}, secrets


def _set_dcr(cognito: Any, pool_id: str, dcr: dict[str, Any]) -> None:
    """The sandbox pool's DcrConfiguration, the rest of the pool kept: describe → merge → write
    (UpdateUserPool resets what it omits)."""
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    if pool.get("DcrConfiguration") == dcr:
        return
    model = cognito.meta.service_model.operation_model("UpdateUserPool").input_shape.members
    params = {k: v for k, v in {**pool, "UserPoolId": pool_id}.items() if k in model}
    cognito.update_user_pool(**{**params, "DcrConfiguration": dcr})
