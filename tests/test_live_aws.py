"""The live contract suite: the sandbox's unverified behaviours, checked against a real account.

    MCPAUTH_LIVE_AWS=1 AWS_PROFILE=<test account> AWS_REGION=us-east-1 pytest -m live

Without MCPAUTH_LIVE_AWS=1 every test here is skipped (the only tests of the suite allowed to
skip; CI has no account). With it, the module creates, in the account and region of the
standard AWS credential chain, resources tagged `mcpauth-live=<run id>` and
`created-by=mcpauth`: an ESSENTIALS user pool set up by `mcpauth init --registration both`
(client registration as the product sets it, resource binding, managed login), a second pool
with a login domain and no registration, a third with nothing, an IAM role for the gateways,
an AgentCore gateway `init` wires to the pool (AWS_IAM until then) and a second gateway that
trusts one app client (allowedClients). It runs `mcpauth init`, `mcpauth doctor --json
--record FILE --probe-registration` and `mcpauth sandbox check-trace FILE`, and deletes
everything at the end (a killed run leaves it for `mcpauth sandbox sweep-live`).

Each test checks one behaviour the sandbox assumes (its source names the test beside the
behaviour: `contract: tests/test_live_aws.py::…`); a failure says what AWS did and where the
sandbox must change. Sign-ins go through Cognito's managed login in Chromium (playwright),
filling the first visible username and password fields: the page's markup is not documented.

A rehearsal without an account: start `mcpauth sandbox up`, export what it prints, and run
with MCPAUTH_LIVE_AWS=1 — every contract then holds by construction, which checks this file.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

LIVE = os.environ.get("MCPAUTH_LIVE_AWS") == "1"
REASON = "set MCPAUTH_LIVE_AWS=1 and AWS credentials for a test account: creates tagged resources"
pytestmark = [pytest.mark.live, pytest.mark.skipif(not LIVE, reason=REASON)]

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS = "inspector,mcp-remote"  # inspector registers itself (DCR); mcp-remote is pre-registered
CALLBACK = "http://localhost:3334/oauth/callback"  # mcp-remote's, as init registers it
ORIGIN = "http://localhost:6274"  # a browser client's origin (MCP Inspector)
GATEWAY_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}
WAIT = 300.0  # seconds for a gateway or a login domain to be ready


def _contract(observed: object, assumed: object, where: str) -> str:
    return f"AWS: {observed!r}; the sandbox assumes {assumed!r}: correct {where}"


# --- the account's resources ------------------------------------------------------------

@dataclass
class Live:
    run_id: str
    tags: dict[str, str]
    aws: Any  # AwsContext
    folder: Path
    password: str
    username: str = ""
    role_arn: str = ""
    pool_id: str = ""
    plain_pool_id: str = ""  # a login domain, no registration
    bare_pool_id: str = ""  # no domain
    gateway_id: str = ""  # wired by init
    id_gateway_id: str = ""  # allowedClients only
    iam_answer: dict[str, Any] = field(default_factory=dict)  # the gateway before init
    id_gateway_at_creation: dict[str, Any] = field(default_factory=dict)
    init: subprocess.CompletedProcess[str] | None = None
    doctor: subprocess.CompletedProcess[str] | None = None
    record: Path | None = None
    mcp_url: str = ""
    client_id: str = ""  # mcp-remote's pre-registered public client
    scope: str = ""  # the resource scope
    issuer: str = ""
    discovery: dict[str, Any] = field(default_factory=dict)
    plain_discovery: dict[str, Any] = field(default_factory=dict)

    @property
    def cognito(self) -> Any:
        return self.aws.client("cognito-idp")

    @property
    def agentcore(self) -> Any:
        return self.aws.client("bedrock-agentcore-control")

    @property
    def metadata_url(self) -> str:
        return self.mcp_url.removesuffix("/mcp") + "/.well-known/oauth-protected-resource"

    @property
    def id_gateway_url(self) -> str:
        from mcpauth_wizard.aws.agentcore import get_gateway, mcp_url

        return mcp_url(get_gateway(self.aws, self.id_gateway_id))

    def endpoint(self, key: str, document: dict[str, Any] | None = None) -> str:
        value = (document or self.discovery).get(key)
        assert isinstance(value, str), f"the discovery document has no {key}: {document or self.discovery}"
        return value


def mcpauth(live: Live, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, in the live folder, with this process's AWS settings."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mcpauth_wizard", *args], cwd=live.folder, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _retry(call: Callable[[], Any], *, what: str, seconds: float = 90) -> Any:
    """A new IAM role is not usable at once (eventual consistency): retry what refuses it."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - retried until the deadline, then raised
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code not in ("ValidationException", "AccessDeniedException") or time.monotonic() > deadline:
                raise AssertionError(f"{what}: {exc}") from exc
            time.sleep(5)


def _create_role(live: Live) -> None:
    given = os.environ.get("MCPAUTH_LIVE_GATEWAY_ROLE_ARN")
    if given:
        live.role_arn = given
        return
    iam = live.aws.client("iam")
    name = f"mcpauth-live-{live.run_id}"
    live.role_arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(GATEWAY_TRUST),
        Description="mcpauth live contract suite: AgentCore gateway role (no permissions)",
        Tags=[{"Key": k, "Value": v} for k, v in live.tags.items()])["Role"]["Arn"]


def _delete_role(live: Live) -> None:
    if live.role_arn and not os.environ.get("MCPAUTH_LIVE_GATEWAY_ROLE_ARN"):
        live.aws.client("iam").delete_role(RoleName=live.role_arn.rsplit("/", 1)[-1])


def _pool(live: Live, suffix: str) -> str:
    return live.cognito.create_user_pool(
        PoolName=f"mcpauth-live-{live.run_id}-{suffix}", UserPoolTier="ESSENTIALS",
        UsernameAttributes=["email"], AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        DeletionProtection="INACTIVE", UserPoolTags=live.tags)["UserPool"]["Id"]


def _gateway(live: Live, suffix: str, **config: Any) -> str:
    from mcpauth_wizard.aws.agentcore import wait_ready

    gateway = _retry(lambda: live.agentcore.create_gateway(
        name=f"mcpauth-live-{live.run_id}-{suffix}", roleArn=live.role_arn, protocolType="MCP",
        tags=live.tags, **config)["gatewayId"], what=f"CreateGateway {suffix}")
    wait_ready(live.aws, gateway, timeout=WAIT)
    return gateway


def _initialize(url: str, token: str | None = None) -> Any:
    import httpx

    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url, headers=headers, timeout=30, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "mcpauth-live", "version": "1"}}})


def _reachable(url: str) -> None:
    """A new login domain takes a while to resolve and answer."""
    import httpx

    deadline = time.monotonic() + WAIT
    while True:
        try:
            httpx.get(url, timeout=10)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(10)


def _discovery(issuer: str) -> dict[str, Any]:
    import httpx

    answer = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=30)
    assert answer.status_code == 200, (answer.status_code, answer.text[:300])
    return dict(answer.json())


def _set_up(live: Live) -> None:
    import httpx

    from mcpauth_wizard.aws.agentcore import get_gateway, jwt_authorizer, mcp_url

    _create_role(live)
    live.pool_id = _pool(live, "main")
    live.plain_pool_id = _pool(live, "plain")
    live.bare_pool_id = _pool(live, "bare")
    live.cognito.create_user_pool_domain(UserPoolId=live.plain_pool_id, ManagedLoginVersion=2,
                                         Domain=f"mcpauth-live-{live.run_id}-p")
    live.username = f"live-{live.run_id}@example.com"
    live.cognito.admin_create_user(UserPoolId=live.pool_id, Username=live.username, MessageAction="SUPPRESS",
                                   UserAttributes=[{"Name": "email", "Value": live.username},
                                                   {"Name": "email_verified", "Value": "true"}])
    live.cognito.admin_set_user_password(UserPoolId=live.pool_id, Username=live.username,
                                         Password=live.password, Permanent=True)
    live.gateway_id = _gateway(live, "main", authorizerType="AWS_IAM")
    answer = _initialize(mcp_url(get_gateway(live.aws, live.gateway_id)))
    live.iam_answer = {"status": answer.status_code, "body": _json_or_text(answer)}

    live.init = mcpauth(live, "--yes", "--no-input", "init", "--pool-id", live.pool_id,
                        "--domain", f"mcpauth-live-{live.run_id}", "--gateway-id", live.gateway_id,
                        "--platform", PLATFORMS, "--registration", "both", "--gateway-allowed-scopes",
                        "--gateway-audience", "--allow-breaking")
    assert live.init.returncode == 0, live.init.stdout[-4000:] + live.init.stderr[-4000:]
    shown = mcpauth(live, "show", "--reveal", "--json")
    assert shown.returncode == 0, shown.stdout[-2000:] + shown.stderr[-2000:]
    data = json.loads(shown.stdout[shown.stdout.index("{"):])
    live.mcp_url = data["mcp_url"]
    live.client_id = next(h["client_id"] for h in data["handoffs"] if h["platform"] == "mcp-remote")
    gateway = get_gateway(live.aws, live.gateway_id)
    live.scope = jwt_authorizer(gateway)["allowedScopes"][0]
    metadata = httpx.get(live.metadata_url, timeout=30).json()
    live.issuer = metadata["authorization_servers"][0]
    live.discovery = _discovery(live.issuer)
    _reachable(live.endpoint("authorization_endpoint"))
    live.plain_discovery = _discovery(live.issuer.replace(live.pool_id, live.plain_pool_id))
    _reachable(live.endpoint("authorization_endpoint", live.plain_discovery))

    live.id_gateway_id = _gateway(live, "ids", authorizerType="CUSTOM_JWT", authorizerConfiguration={
        "customJWTAuthorizer": {"discoveryUrl": jwt_authorizer(gateway)["discoveryUrl"],
                                "allowedClients": [live.client_id]}})
    live.id_gateway_at_creation = get_gateway(live.aws, live.id_gateway_id)

    live.record = live.folder / "live-record.json"
    live.doctor = mcpauth(live, "doctor", "--json", "--record", str(live.record), "--probe-registration")


def _tear_down(live: Live) -> list[str]:
    """Everything this run tagged, whatever its age; then the role."""
    from mcpauth_wizard.sandbox.sweep import sweep_live

    problems = []
    try:  # "older than 10 minutes from now": whatever the clock skew, all of this run's
        lines = sweep_live(live.aws, older_than_s=-600, run_id=live.run_id)
        problems += [line for line in lines if not line.startswith("deleted ")]
    finally:
        try:
            _delete_role(live)
        except Exception as exc:  # noqa: BLE001 - said, not raised over the test's own failure
            problems.append(f"role {live.role_arn}: {exc}")
    return problems


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from mcpauth_wizard.aws.session import AwsContext

    run_id = f"{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
    account = Live(run_id=run_id, tags={"mcpauth-live": run_id, "created-by": "mcpauth"},
                   aws=AwsContext(), folder=tmp_path_factory.mktemp("live"),
                   password=f"Live-{secrets.token_urlsafe(12)}-9a!")
    try:
        _set_up(account)
        yield account
    finally:
        left = _tear_down(account)
        assert not left, f"the live suite could not clean up (run `mcpauth sandbox sweep-live`): {left}"


# --- signing in through managed login -------------------------------------------------------

_USER_FIELDS = ('input[name="username"]', 'input[type="email"]', 'input[autocomplete="username"]',
                'input[name="email"]')


class Browser:
    """Chromium with one context for the whole run: after the first sign-in, Cognito's session
    cookie sends later authorize requests straight back with a code."""

    def __init__(self, live: Live) -> None:
        import shutil

        from playwright.sync_api import sync_playwright

        executable = shutil.which("chromium") or shutil.which("chromium-browser")
        assert executable, "the live suite signs in with chromium: apt-get install chromium"
        self.live = live
        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=executable, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"])
        self.context = self._browser.new_context()

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()

    def code_for(self, client_id: str, scope: str, *, resource: str | None,
                 redirect_uri: str = CALLBACK) -> tuple[Any, dict[str, str]]:
        """(the authorization request, the callback's query: code and state, or error)."""
        from mcpauth_wizard.oauth.signin import ClientCredentials, authorization_request

        request = authorization_request(self.live.endpoint("authorization_endpoint"),
                                        ClientCredentials(client_id), redirect_uri, scope, resource)
        landed: list[str] = []
        page = self.context.new_page()

        def caught(route: Any) -> None:
            landed.append(route.request.url)
            route.fulfill(status=200, content_type="text/plain", body="signed in")

        page.route(re.compile("^" + re.escape(redirect_uri)), caught)
        try:
            page.goto(request.url)
            self._fill(page, landed)
        finally:
            page.close()
        assert landed, f"no redirect to {redirect_uri} after signing in"
        return request, {k: v[0] for k, v in parse_qs(urlsplit(landed[0]).query).items()}

    def login_page(self, url: str) -> tuple[bool, str]:
        """Open an authorize URL with no session (a new context): (is a sign-in form shown,
        the page's text)."""
        context = self._browser.new_context()
        try:
            page = context.new_page()
            page.goto(url)
            page.wait_for_load_state("networkidle")
            form = _visible(page, ('input[type="password"]', *_USER_FIELDS)) is not None
            return form, page.inner_text("body")
        finally:
            context.close()

    def _fill(self, page: Any, landed: list[str]) -> None:
        from playwright.sync_api import Error as PlaywrightError

        deadline = time.monotonic() + 120
        while not landed and time.monotonic() < deadline:
            try:
                user = _visible(page, _USER_FIELDS)
                password = _visible(page, ('input[type="password"]',))
                if user is not None and not user.input_value():
                    user.fill(self.live.username)
                    if password is None:  # a page that asks for the password next
                        user.press("Enter")
                if password is not None and not password.input_value():
                    password.fill(self.live.password)
                    password.press("Enter")
            except PlaywrightError:
                pass  # the page moved on while we looked
            page.wait_for_timeout(500)


def _visible(page: Any, selectors: tuple[str, ...]) -> Any:
    for selector in selectors:
        for element in page.locator(selector).all():
            if element.is_visible():
                return element
    return None


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Browser]:
    opened = Browser(live)
    try:
        yield opened
    finally:
        opened.close()


def _token(live: Live, form: dict[str, str]) -> Any:
    import httpx

    return httpx.post(live.endpoint("token_endpoint"), data=form, timeout=30)


def _exchange(live: Live, request: Any, code: str, client_id: str, **extra: str) -> Any:
    return _token(live, {"grant_type": "authorization_code", "client_id": client_id, "code": code,
                         "redirect_uri": request.redirect_uri, "code_verifier": request.code_verifier,
                         **extra})


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _json_or_text(answer: Any) -> Any:
    try:
        return answer.json()
    except ValueError:
        return answer.text[:500]


def _register(live: Live, metadata: dict[str, Any], endpoint: str | None = None) -> Any:
    import httpx

    return httpx.post(endpoint or live.endpoint("registration_endpoint"), json=metadata, timeout=30)


def _public_registration(live: Live, name: str) -> dict[str, Any]:
    answer = _register(live, {"client_name": f"mcpauth-live-{name}", "redirect_uris": [CALLBACK],
                              "grant_types": ["authorization_code", "refresh_token"],
                              "response_types": ["code"], "token_endpoint_auth_method": "none",
                              "scope": f"openid {live.scope}"})
    assert answer.status_code == 201, (answer.status_code, answer.text[:500])
    return dict(answer.json())


@pytest.fixture(scope="module")
def bound(live: Live, browser: Browser) -> dict[str, Any]:
    """Tokens of the pre-registered client, signed in with resource = the MCP URL."""
    request, params = browser.code_for(live.client_id, f"openid {live.scope}", resource=live.mcp_url)
    assert "code" in params, params
    answer = _exchange(live, request, params["code"], live.client_id)
    assert answer.status_code == 200, answer.text[:500]
    return dict(answer.json())


def _bearer(header: str | None) -> dict[str, str] | None:
    from mcpauth_wizard.doctor.challenge import bearer_params

    return bearer_params(header)


# --- the product on AWS --------------------------------------------------------------------

def test_live_init_sets_up_the_pool_and_the_gateway(live: Live) -> None:
    assert live.init is not None and live.init.returncode == 0
    from mcpauth_wizard.aws.agentcore import get_gateway, jwt_authorizer

    authorizer = jwt_authorizer(get_gateway(live.aws, live.gateway_id))
    assert authorizer.get("allowedAudience") == [live.mcp_url], authorizer  # resource binding
    assert "allowedClients" not in authorizer  # self-registered clients are let in by scope
    pool = live.cognito.describe_user_pool(UserPoolId=live.pool_id)["UserPool"]
    assert pool["UserPoolTier"] == "ESSENTIALS"
    assert pool["DcrConfiguration"]["OpenDcrEnabled"] is True
    assert pool["UserPoolTags"]["mcpauth-live"] == live.run_id  # UpdateUserPool kept the tags


def test_live_doctor_finds_no_error_in_the_setup_init_made(live: Live) -> None:
    assert live.doctor is not None
    out = live.doctor.stdout
    assert "{" in out, live.doctor.stderr[-3000:]
    report = json.loads(out[out.index("{"):])
    errors = [f for s in report["steps"] for f in s["findings"] if f["severity"] == "error"]
    assert errors == [] and live.doctor.returncode == 0, errors


def test_live_doctor_probe_of_registration_reaches_a_login_page(live: Live) -> None:
    assert live.doctor is not None and "{" in live.doctor.stdout, live.doctor.stderr[-3000:]
    report = json.loads(live.doctor.stdout[live.doctor.stdout.index("{"):])
    probe = next(s for s in report["steps"] if s["id"] == "registration.probe")
    assert probe["status"] == "pass", probe


def test_live_doctor_records_the_run_without_secrets(live: Live) -> None:
    """`doctor --record FILE` exists (a missing flag fails here, it is not skipped)."""
    assert live.doctor is not None
    assert "No such option" not in live.doctor.stderr, live.doctor.stderr[-2000:]
    assert live.record is not None and live.record.is_file(), live.doctor.stderr[-2000:]
    text = live.record.read_text(encoding="utf-8")
    assert json.loads(text)["mcpauth_record"] == 1
    assert live.password not in text


def test_live_sandbox_agrees_with_the_recorded_run(live: Live) -> None:
    """`mcpauth sandbox check-trace` on the real run: every divergence is a sandbox bug."""
    assert live.record is not None and live.record.is_file()
    checked = mcpauth(live, "sandbox", "check-trace", str(live.record), "--json")
    assert "{" in checked.stdout, checked.stderr[-3000:]
    result = json.loads(checked.stdout[checked.stdout.index("{"):])
    assert result["divergences"] == [] and checked.returncode == 0, result


# --- registration (sandbox/registration.py) ---------------------------------------------------

def test_live_registration_answer_shape(live: Live) -> None:
    public = _public_registration(live, "shape")
    assumed = {"client_id", "client_id_issued_at", "client_name", "redirect_uris", "grant_types",
               "response_types", "token_endpoint_auth_method", "scope"}
    assert set(public) == assumed, _contract(sorted(public), sorted(assumed), "sandbox/registration.py _create")
    answer = _register(live, {"client_name": "mcpauth-live-confidential", "redirect_uris": [CALLBACK],
                              "token_endpoint_auth_method": "client_secret_basic",
                              "scope": f"openid {live.scope}"})
    assert answer.status_code == 201, answer.text[:500]
    confidential = set(answer.json())
    with_secret = assumed | {"client_secret", "client_secret_expires_at"}
    assert confidential == with_secret, _contract(sorted(confidential), sorted(with_secret),
                                                  "sandbox/registration.py _create")


def test_live_registration_refusal_shape(live: Live) -> None:
    answer = _register(live, {"redirect_uris": ["http://example.com/callback"],
                              "token_endpoint_auth_method": "none"})
    body = _json_or_text(answer)
    observed = (answer.status_code, sorted(body) if isinstance(body, dict) else body,
                body.get("error") if isinstance(body, dict) else None)
    assumed = (400, ["error", "error_description"], "invalid_redirect_uri")
    assert observed == assumed, _contract(observed, assumed, "sandbox/registration.py _error")


def test_live_registration_endpoint_when_registration_is_off(live: Live) -> None:
    login = live.endpoint("authorization_endpoint", live.plain_discovery).rsplit("/oauth2/", 1)[0]
    assert "registration_endpoint" not in live.plain_discovery
    answer = _register(live, {"redirect_uris": [CALLBACK]}, endpoint=f"{login}/oauth2/register")
    observed = (answer.status_code, _json_or_text(answer))
    assert answer.status_code == 404, _contract(observed, (404, {"message": "…not enabled"}),
                                                "sandbox/registration.py register (registration off)")


def test_live_registration_defaults_without_name_or_scope(live: Live) -> None:
    answer = _register(live, {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"})
    assert answer.status_code == 201, answer.text[:500]
    body = answer.json()
    observed = (body.get("client_name"), sorted(str(body.get("scope", "")).split()))
    assumed = ("dcr-client", sorted(["openid", "email", "phone", "profile", live.scope]))
    assert observed == assumed, _contract(observed, assumed, "sandbox/registration.py _create (defaults)")


def test_live_managed_login_for_self_registered_clients(live: Live, browser: Browser) -> None:
    """A registered client has no managed login style of its own: is its login page shown?"""
    from mcpauth_wizard.oauth.signin import ClientCredentials, authorization_request
    from mcpauth_wizard.sandbox.registration import REGISTERED_CLIENTS_STYLED

    client = _public_registration(live, "login-page")
    request = authorization_request(live.endpoint("authorization_endpoint"),
                                    ClientCredentials(client["client_id"]), CALLBACK,
                                    f"openid {live.scope}", live.mcp_url)
    form, text = browser.login_page(request.url)
    shown = form and "login pages unavailable" not in text.lower()
    assert shown == REGISTERED_CLIENTS_STYLED, _contract(
        text[:300], "a login page" if REGISTERED_CLIENTS_STYLED else "unavailable",
        "sandbox/registration.py REGISTERED_CLIENTS_STYLED")


# --- sign-in and tokens (sandbox/login.py) ----------------------------------------------------

def test_live_resource_binding_sets_aud_for_self_registered_clients(live: Live, browser: Browser) -> None:
    client = _public_registration(live, "aud")
    request, params = browser.code_for(client["client_id"], f"openid {live.scope}", resource=live.mcp_url)
    assert "code" in params, params
    answer = _exchange(live, request, params["code"], client["client_id"])  # no resource here
    assert answer.status_code == 200, answer.text[:500]
    access = answer.json()["access_token"]
    aud = _claims(access).get("aud")
    assert aud == live.mcp_url, _contract(aud, live.mcp_url, "sandbox/login.py _tokens (binding)")
    assert _initialize(live.mcp_url, access).status_code == 200  # the gateway lets it in


def test_live_token_endpoint_accepts_resource(live: Live, browser: Browser) -> None:
    """ignore (aud from the authorize request, any resource accepted), accept (resource must
    match), or refuse (invalid_request): sandbox/login.py TOKEN_RESOURCE_MODES."""
    from mcpauth_wizard.sandbox.login import DEFAULT_TOKEN_RESOURCE

    scope = f"openid {live.scope}"
    request, params = browser.code_for(live.client_id, scope, resource=live.mcp_url)
    same = _exchange(live, request, params["code"], live.client_id, resource=live.mcp_url)
    request, params = browser.code_for(live.client_id, scope, resource=live.mcp_url)
    other = _exchange(live, request, params["code"], live.client_id, resource="https://example.com/other")
    if same.status_code != 200:
        observed = "refuse"
    else:
        observed = "ignore" if other.status_code == 200 else "accept"
    details = (observed, same.status_code, _json_or_text(same) if same.status_code != 200 else "tokens",
               other.status_code, _json_or_text(other) if other.status_code != 200 else "tokens")
    assert observed == DEFAULT_TOKEN_RESOURCE, _contract(details, DEFAULT_TOKEN_RESOURCE,
                                                         "sandbox/login.py DEFAULT_TOKEN_RESOURCE")
    if observed != "refuse":
        aud = _claims(same.json()["access_token"]).get("aud")
        assert aud == live.mcp_url, _contract(aud, live.mcp_url, "sandbox/login.py _token_resource")


def test_live_authorize_unregistered_redirect_uri_shows_error_page(live: Live) -> None:
    import httpx

    elsewhere = "http://localhost:1/elsewhere"
    query = {"response_type": "code", "client_id": live.client_id, "redirect_uri": elsewhere,
             "scope": f"openid {live.scope}", "state": "s"}
    answer = httpx.get(f"{live.endpoint('authorization_endpoint')}?{urlencode(query)}", timeout=30)
    location = answer.headers.get("location", "")
    observed = (answer.status_code, urlsplit(location).path.rsplit("/", 1)[-1],
                parse_qs(urlsplit(location).query).get("error"))
    assumed = (302, "error", ["redirect_mismatch"])
    assert observed == assumed and not location.startswith(elsewhere), _contract(
        (observed, location), assumed, "sandbox/login.py _check_authorize (redirect_mismatch)")


def test_live_authorize_unknown_resource_is_invalid_target(live: Live) -> None:
    import httpx

    from mcpauth_wizard.oauth.signin import ClientCredentials, authorization_request

    request = authorization_request(live.endpoint("authorization_endpoint"), ClientCredentials(live.client_id),
                                    CALLBACK, f"openid {live.scope}", "https://example.com/not-a-resource-server")
    answer = httpx.get(request.url, timeout=30)
    location = answer.headers.get("location", "")
    observed = (answer.status_code, location.split("?")[0], parse_qs(urlsplit(location).query).get("error"))
    assumed = (302, CALLBACK, ["invalid_target"])
    assert observed == assumed, _contract(observed, assumed, "sandbox/login.py _check_authorize (resource)")


def test_live_token_endpoint_refuses_a_secret_from_a_public_client(live: Live, browser: Browser) -> None:
    request, params = browser.code_for(live.client_id, f"openid {live.scope}", resource=live.mcp_url)
    answer = _exchange(live, request, params["code"], live.client_id, client_secret="not-a-secret")
    observed = (answer.status_code, (_json_or_text(answer) or {}).get("error")
                if isinstance(_json_or_text(answer), dict) else _json_or_text(answer))
    assert observed == (400, "invalid_client"), _contract(observed, (400, "invalid_client"),
                                                          "sandbox/login.py _authenticate")


def test_live_token_endpoint_redirect_uri_mismatch_error(live: Live, browser: Browser) -> None:
    request, params = browser.code_for(live.client_id, f"openid {live.scope}", resource=live.mcp_url)
    answer = _token(live, {"grant_type": "authorization_code", "client_id": live.client_id,
                           "code": params["code"], "code_verifier": request.code_verifier,
                           "redirect_uri": "http://localhost:3334/other"})
    observed = (answer.status_code, (_json_or_text(answer) or {}).get("error")
                if isinstance(_json_or_text(answer), dict) else _json_or_text(answer))
    assert observed == (400, "unauthorized_client"), _contract(
        observed, (400, "unauthorized_client"), "sandbox/login.py _code_grant (redirect_uri)")


# --- the gateway (sandbox/gateway.py) ---------------------------------------------------------

def test_live_gateway_admits_an_id_token_of_an_allowed_client(live: Live, bound: dict[str, Any]) -> None:
    """allowedClients only: an ID token has no client_id, its aud is the client id."""
    assert "id_token" in bound
    answer = _initialize(live.id_gateway_url, bound["id_token"])
    assert answer.status_code == 200, _contract((answer.status_code, _json_or_text(answer)), 200,
                                                "sandbox/gateway.py check_token (client_id, else aud)")


def test_live_bound_access_token_aud_is_one_string(bound: dict[str, Any], live: Live) -> None:
    aud = _claims(bound["access_token"]).get("aud")
    assert aud == live.mcp_url, _contract(aud, live.mcp_url, "sandbox/gateway.py check_token (aud)")


def test_live_gateway_metadata_lists_allowed_scopes(live: Live) -> None:
    import httpx

    metadata = httpx.get(live.metadata_url, timeout=30).json()
    observed = metadata.get("scopes_supported")
    assert observed == [live.scope], _contract(metadata, [live.scope], "sandbox/gateway.py _metadata")
    assert metadata.get("resource") == live.mcp_url, metadata


def test_live_gateway_challenge_without_credentials(live: Live) -> None:
    """RFC 6750 §3.1: no error code when the request has no credentials."""
    answer = _initialize(live.mcp_url)
    params = _bearer(answer.headers.get("www-authenticate"))
    assumed = (401, {"scope": live.scope, "resource_metadata": live.metadata_url})
    assert (answer.status_code, params) == assumed, _contract(
        (answer.status_code, answer.headers.get("www-authenticate")), assumed,
        "sandbox/gateway.py _challenge (no credentials)")


def test_live_gateway_challenge_for_a_bad_token(live: Live) -> None:
    answer = _initialize(live.mcp_url, "not-a-token")
    params = _bearer(answer.headers.get("www-authenticate")) or {}
    body = _json_or_text(answer)
    observed = (answer.status_code, params.get("error"), params.get("resource_metadata"),
                sorted(body) if isinstance(body, dict) else body,
                (body.get("error") or {}).get("code") if isinstance(body, dict) else None)
    assumed = (401, "invalid_token", live.metadata_url, ["error", "id", "jsonrpc"], -32001)
    assert observed == assumed, _contract(observed, assumed, "sandbox/gateway.py _mcp / _rpc_error")


def test_live_gateway_insufficient_scope_is_403(live: Live, browser: Browser) -> None:
    request, params = browser.code_for(live.client_id, "openid", resource=live.mcp_url)
    tokens = _exchange(live, request, params["code"], live.client_id)
    assert tokens.status_code == 200, tokens.text[:500]
    answer = _initialize(live.mcp_url, tokens.json()["access_token"])
    error = (_bearer(answer.headers.get("www-authenticate")) or {}).get("error")
    assert (answer.status_code, error) == (403, "insufficient_scope"), _contract(
        (answer.status_code, answer.headers.get("www-authenticate")), (403, "insufficient_scope"),
        "sandbox/gateway.py _mcp (scopes)")


def test_live_iam_gateway_answers_403_missing_authentication_token(live: Live) -> None:
    assumed = {"status": 403, "body": {"message": "Missing Authentication Token"}}
    assert live.iam_answer == assumed, _contract(live.iam_answer, assumed, "sandbox/gateway.py _mcp (AWS_IAM)")


# --- CORS (sandbox/cors.py) -----------------------------------------------------------------

def _allows_origin(answer: Any) -> bool:
    return answer.headers.get("access-control-allow-origin") in ("*", ORIGIN)


def test_live_cors_on_cognito_discovery(live: Live) -> None:
    import httpx

    from mcpauth_wizard.sandbox import cors

    answer = httpx.get(f"{live.issuer}/.well-known/openid-configuration", headers={"Origin": ORIGIN}, timeout=30)
    observed = _allows_origin(answer)
    assert observed == ("discovery" in cors.DEFAULT), _contract(
        dict(answer.headers), "discovery" in cors.DEFAULT, "sandbox/cors.py DEFAULT (discovery)")


def test_live_cors_on_gateway_resource_metadata(live: Live) -> None:
    import httpx

    from mcpauth_wizard.sandbox import cors

    answer = httpx.get(live.metadata_url, headers={"Origin": ORIGIN}, timeout=30)
    observed = _allows_origin(answer)
    assert observed == ("resource_metadata" in cors.DEFAULT), _contract(
        dict(answer.headers), "resource_metadata" in cors.DEFAULT, "sandbox/cors.py DEFAULT (resource_metadata)")


def test_live_cors_on_token_endpoint(live: Live) -> None:
    import httpx

    from mcpauth_wizard.sandbox import cors

    answer = httpx.post(live.endpoint("token_endpoint"), headers={"Origin": ORIGIN}, timeout=30,
                        data={"grant_type": "authorization_code", "client_id": live.client_id,
                              "code": "not-a-code", "redirect_uri": CALLBACK})
    observed = _allows_origin(answer)
    assert observed == ("oauth" in cors.DEFAULT), _contract(
        dict(answer.headers), "oauth" in cors.DEFAULT, "sandbox/cors.py DEFAULT (oauth)")


# --- the control planes (sandbox/moto_ext.py) ----------------------------------------------

def _error_of(call: Callable[[], Any]) -> tuple[str, str]:
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the AWS error is what is checked
        error = getattr(exc, "response", {}).get("Error", {})
        return error.get("Code", type(exc).__name__), error.get("Message", str(exc))
    return "no error", ""


def test_live_update_user_pool_client_resets_omitted_fields(live: Live) -> None:
    from mcpauth_wizard.sandbox.moto_ext import _CLIENT_DEFAULTS

    client = live.cognito.create_user_pool_client(
        UserPoolId=live.plain_pool_id, ClientName="mcpauth-live-reset", AuthSessionValidity=10,
        EnableTokenRevocation=False, RefreshTokenValidity=10,
        EnablePropagateAdditionalUserContextData=False)["UserPoolClient"]["ClientId"]
    live.cognito.update_user_pool_client(UserPoolId=live.plain_pool_id, ClientId=client,
                                         ClientName="mcpauth-live-reset")
    after = live.cognito.describe_user_pool_client(UserPoolId=live.plain_pool_id, ClientId=client)["UserPoolClient"]
    observed = {k: after.get(k) for k in _CLIENT_DEFAULTS}
    assert observed == _CLIENT_DEFAULTS, _contract(observed, _CLIENT_DEFAULTS, "sandbox/moto_ext.py _CLIENT_DEFAULTS")


def test_live_unknown_scope_is_scope_does_not_exist(live: Live) -> None:
    scope = "https://example.com/not-a-scope"
    observed = _error_of(lambda: live.cognito.create_user_pool_client(
        UserPoolId=live.plain_pool_id, ClientName="mcpauth-live-scope", AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True, AllowedOAuthScopes=[scope], CallbackURLs=[CALLBACK],
        SupportedIdentityProviders=["COGNITO"]))
    assumed = ("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")
    assert observed == assumed, _contract(observed, assumed, "sandbox/moto_ext.py check_scopes")


def test_live_update_user_pool_resets_mfa_when_omitted(live: Live) -> None:
    """UpdateUserPool without MfaConfiguration (what the product's writes send when MFA is on
    without SMS): is MFA reset to OFF?"""
    from mcpauth_wizard.aws.user_pools import _pool_params

    live.cognito.set_user_pool_mfa_config(UserPoolId=live.plain_pool_id, MfaConfiguration="OPTIONAL",
                                          SoftwareTokenMfaConfiguration={"Enabled": True})
    described = live.cognito.describe_user_pool(UserPoolId=live.plain_pool_id)["UserPool"]
    params = _pool_params(live.aws, described)  # the product's UpdateUserPool parameters
    params.pop("MfaConfiguration", None)
    assert params.get("UserPoolTags", {}).get("mcpauth-live") == live.run_id  # the sweeper still finds it
    live.cognito.update_user_pool(**params)
    observed = live.cognito.get_user_pool_mfa_config(UserPoolId=live.plain_pool_id).get("MfaConfiguration")
    assert observed == "OFF", _contract(observed, "OFF", "sandbox/moto_ext.py update_user_pool (MFA)")


def test_live_domain_prefix_rules_and_their_wording(live: Live) -> None:
    reserved = _error_of(lambda: live.cognito.create_user_pool_domain(
        UserPoolId=live.bare_pool_id, Domain=f"aws-mcpauth-live-{live.run_id}"))
    assumed = ("InvalidParameterException", "Domain cannot contain reserved word: aws, amazon or cognito")
    assert reserved == assumed, _contract(reserved, assumed, "sandbox/moto_ext.py create_user_pool_domain")
    second = _error_of(lambda: live.cognito.create_user_pool_domain(
        UserPoolId=live.plain_pool_id, Domain=f"mcpauth-live-{live.run_id}-q"))
    assumed = ("InvalidParameterException", f"User pool {live.plain_pool_id} already has a domain configured.")
    assert second == assumed, _contract(second, assumed, "sandbox/moto_ext.py create_user_pool_domain")


def test_live_dcr_on_a_lite_pool_is_feature_unavailable_in_tier(live: Live) -> None:
    made: list[str] = []

    def create() -> None:
        made.append(live.cognito.create_user_pool(
            PoolName=f"mcpauth-live-{live.run_id}-lite", UserPoolTier="LITE", UserPoolTags=live.tags,
            DcrConfiguration={"OpenDcrEnabled": True, "OpenDcrGrantTypes": ["code"]})["UserPool"]["Id"])

    try:
        code, _ = _error_of(create)
    finally:
        for pool in made:  # AWS took it: delete it now (the tag catches it otherwise)
            live.cognito.delete_user_pool(UserPoolId=pool)
    assert code == "FeatureUnavailableInTierException", _contract(code, "FeatureUnavailableInTierException",
                                                                  "sandbox/moto_ext.py normalise")


def test_live_get_gateway_without_description(live: Live) -> None:
    from mcpauth_wizard.sandbox.moto_ext import EMPTY_DESCRIPTION

    gateway = live.id_gateway_at_creation
    observed = "absent" if "description" not in gateway else ("empty" if gateway["description"] == "" else
                                                              gateway["description"])
    assert observed == EMPTY_DESCRIPTION, _contract(observed, EMPTY_DESCRIPTION, "sandbox/moto_ext.py EMPTY_DESCRIPTION")


def _update_gateway(live: Live, change: Callable[[dict[str, Any]], None]) -> list[str]:
    """UpdateGateway with the current configuration changed; the status it answered, then the
    statuses GetGateway read until the update settled."""
    from mcpauth_wizard.aws.agentcore import get_gateway, update_params_of

    params = update_params_of(live.aws, get_gateway(live.aws, live.id_gateway_id))
    change(params)
    statuses = [live.agentcore.update_gateway(**params).get("status", "")]
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        statuses.append(get_gateway(live.aws, live.id_gateway_id)["status"])
        if statuses[-1] not in ("UPDATING", "CREATING"):
            break
        time.sleep(2)
    return statuses


def test_live_update_gateway_resets_omitted_fields(live: Live) -> None:
    from mcpauth_wizard.aws.agentcore import get_gateway

    assert _update_gateway(live, lambda p: p.update(description="set by the live suite"))[-1] == "READY"
    assert get_gateway(live.aws, live.id_gateway_id).get("description") == "set by the live suite"
    assert _update_gateway(live, lambda p: p.pop("description", None))[-1] == "READY"
    observed = get_gateway(live.aws, live.id_gateway_id).get("description")
    assert observed in (None, ""), _contract(observed, "reset (absent or empty)", "sandbox/moto_ext.py update")


def test_live_gateway_update_is_updating_then_ready(live: Live) -> None:
    """The sandbox: UpdateGateway answers UPDATING, and the next read is READY (how long AWS
    stays UPDATING is what this records; the product waits whatever it is)."""
    statuses = _update_gateway(live, lambda p: None)
    assert statuses[0] == "UPDATING" and statuses[-1] == "READY", _contract(
        statuses, ["UPDATING", "READY"], "sandbox/moto_ext.py update (status)")
