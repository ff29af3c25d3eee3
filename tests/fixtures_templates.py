"""Fixtures for the generated FastMCP-on-Lambda server: a fake Cognito on 127.0.0.1, cold
starts of the generated handler, and a browser that speaks Lambda Function URL events.

Nothing here reaches the internet or AWS: DynamoDB and Secrets Manager are the moto control
plane of conftest.py, Cognito is `FakeCognito` below.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import re
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

REGION = "us-east-1"
POOL_ID = "us-east-1_Fake123"
CLIENT_ID = "proxyclient123"
CLIENT_SECRET = "proxy-client-secret-value"
BASE_URL = "https://abc123.lambda-url.us-east-1.on.aws"
STORAGE_KEY = secrets.token_urlsafe(48)
GENERATED_MODULES = ("handler", "server", "oauth_state")


class FakeCognito:
    """The parts of a Cognito user pool the OAuth proxy talks to, on 127.0.0.1.

    Serves the pool's discovery document and JWKS, and a token endpoint that exchanges the
    codes `sign_in()` hands out (as Cognito's login page would) for RS256-signed tokens
    shaped like Cognito's (client_id, token_use, scope; no aud).
    """

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "fake-kid", "alg": "RS256", "use": "sig"})
        self.codes: dict[str, str] = {}  # code → redirect_uri it was issued for
        self.token_requests: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == f"/{POOL_ID}/.well-known/openid-configuration":
                    self._json(200, fake.discovery())
                elif self.path == f"/{POOL_ID}/.well-known/jwks.json":
                    self._json(200, {"keys": [fake.key.as_dict(private=False)]})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                form["authorization"] = self.headers.get("Authorization", "")
                fake.token_requests.append(form)
                status, body = fake.token(form)
                self._json(status, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def issuer(self) -> str:
        return f"{self.url}/{POOL_ID}"

    @property
    def authorize_endpoint(self) -> str:
        return f"{self.url}/oauth2/authorize"

    def discovery(self) -> dict[str, Any]:
        # Cognito's discovery document has no code_challenge_methods_supported.
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.authorize_endpoint,
            "token_endpoint": f"{self.url}/oauth2/token",
            "userinfo_endpoint": f"{self.url}/oauth2/userInfo",
            "revocation_endpoint": f"{self.url}/oauth2/revoke",
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def sign_in(self, authorize_url: str) -> str:
        """What the login page does after the user signs in: the redirect back, with a code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["client_id"] == CLIENT_ID
        code = secrets.token_urlsafe(16)
        self.codes[code] = query["redirect_uri"]
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if form["authorization"] != f"Basic {basic}":
            return 400, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        if self.codes.pop(form.get("code", ""), None) != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        return 200, {
            "access_token": self.access_token(),
            "id_token": self.access_token(token_use="id"),
            "refresh_token": secrets.token_urlsafe(24),
            "expires_in": 3600,
            "token_type": "Bearer",
        }

    def access_token(self, token_use: str = "access") -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {"sub": "user-1", "iss": self.issuer, "client_id": CLIENT_ID,
                  "token_use": token_use, "scope": "openid", "auth_time": now, "iat": now,
                  "exp": now + 3600, "jti": secrets.token_hex(8), "username": "alice"}
        return jwt.encode({"alg": "RS256", "kid": "fake-kid"}, claims, self.key)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake_cognito(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCognito]:
    """A fake Cognito, and the provider's start-up discovery fetch sent to it.

    AWSCognitoProvider fetches `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/
    openid-configuration` while it is constructed (FastMCP's OIDCConfiguration, through
    `httpx2.get`). The fetch is redirected to the fake by replacing the `httpx2` name inside
    fastmcp's oidc_proxy module only; every other URL (token endpoint, JWKS) comes from the
    fake's discovery document and so is on 127.0.0.1 already.
    """
    import httpx2
    from fastmcp.server.auth import oidc_proxy

    fake = FakeCognito()
    real_host = f"https://cognito-idp.{REGION}.amazonaws.com"

    def get(url: str, **kwargs: Any) -> Any:
        assert url.startswith(real_host + "/"), f"unexpected discovery fetch {url}"
        return httpx2.get(fake.url + url[len(real_host):], **kwargs)

    monkeypatch.setattr(oidc_proxy, "httpx2", SimpleNamespace(get=get))
    oidc_proxy._clear_oidc_configuration_cache()
    yield fake
    oidc_proxy._clear_oidc_configuration_cache()
    fake.stop()


def server_environment(monkeypatch: pytest.MonkeyPatch, control_plane_url: str) -> dict[str, str]:
    """Create the table and secrets template.yaml would create, and the function's env vars."""
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=control_plane_url, region_name=REGION)
    dynamodb.create_table(
        TableName="oauth-state", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "collection", "AttributeType": "S"},
                              {"AttributeName": "key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "collection", "KeyType": "HASH"},
                   {"AttributeName": "key", "KeyType": "RANGE"}],
    )
    dynamodb.update_time_to_live(TableName="oauth-state", TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "ttl"})
    sm = boto3.client("secretsmanager", endpoint_url=control_plane_url, region_name=REGION)
    # The client secret as `put-secret-value --secret-string file:///dev/stdin` stores it
    # from a pipe (README, step 3): with the newline that `--output text` ends with.
    client_secret = sm.create_secret(Name="client-secret", SecretString=CLIENT_SECRET + "\n")["ARN"]
    sm.create_secret(Name="storage-key", SecretString=STORAGE_KEY)
    sm.create_secret(Name="jwt-signing-key", SecretString=secrets.token_urlsafe(48))
    env = {
        "COGNITO_USER_POOL_ID": POOL_ID, "COGNITO_REGION": REGION, "COGNITO_CLIENT_ID": CLIENT_ID,
        "COGNITO_CLIENT_SECRET_REF": f"secretsmanager:{client_secret}",
        "STORAGE_KEY_REF": "secretsmanager:storage-key",
        "JWT_SIGNING_KEY_REF": "secretsmanager:jwt-signing-key",  # a name works as well as an ARN
        "OAUTH_STATE_TABLE": "oauth-state", "MCP_BASE_URL": BASE_URL,
        "MCP_SERVER_NAME": "demo", "FASTMCP_SHOW_SERVER_BANNER": "false",
        "FASTMCP_CHECK_FOR_UPDATES": "off",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def cold_start(project: Path, *, default_storage: bool = False) -> ModuleType:
    """Import the generated handler afresh, as a new Lambda instance would.

    Each call makes new module objects (server, provider, store): nothing in memory is
    shared with an earlier "instance". With `default_storage`, the generated server is
    given FastMCP's default storage (client_storage=None: files under fastmcp.settings.home)
    instead of the DynamoDB store: the popular recipe this template replaces.
    """
    saved = {name: sys.modules.pop(name) for name in GENERATED_MODULES if name in sys.modules}
    sys.path.insert(0, str(project))
    try:
        oauth_state = importlib.import_module("oauth_state")
        if default_storage:
            oauth_state.encrypted_state_store = lambda table, key: None
        return importlib.import_module("handler")
    finally:
        sys.path.remove(str(project))
        for name in GENERATED_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FunctionUrlBrowser:
    """Sends Lambda Function URL events (payload 2.0) to a handler, keeping cookies."""

    cookies: dict[str, str] = field(default_factory=dict)
    invocations: int = 0
    source_ip: str = "127.0.0.1"  # requestContext.http.sourceIp: who the Function URL saw

    def request(self, handler: ModuleType, method: str, url: str, *, body: str = "",
                headers: dict[str, str] | None = None) -> Reply:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" in (BASE_URL, ""), url
        host = urlsplit(BASE_URL).netloc
        all_headers = {"host": host, "user-agent": "pytest", "x-forwarded-proto": "https",
                       "x-forwarded-port": "443", **(headers or {})}
        event = {
            "version": "2.0", "routeKey": "$default", "rawPath": parts.path or "/",
            "rawQueryString": parts.query, "headers": all_headers,
            "cookies": [f"{k}={v}" for k, v in self.cookies.items()],
            "requestContext": {
                "accountId": "anonymous", "apiId": "abc123", "domainName": host,
                "domainPrefix": "abc123", "requestId": secrets.token_hex(8), "routeKey": "$default",
                "stage": "$default", "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 0,
                "http": {"method": method, "path": parts.path or "/", "protocol": "HTTP/1.1",
                         "sourceIp": self.source_ip, "userAgent": "pytest"},
            },
            "body": body, "isBase64Encoded": False,
        }
        self.invocations += 1
        result = handler.handler(event, SimpleNamespace(aws_request_id=event["requestContext"]["requestId"]))
        for cookie in result.get("cookies") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if "max-age=0" in cookie.lower() or not value or value == '""':
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        raw = result.get("body") or ""
        if result.get("isBase64Encoded"):
            raw = base64.b64decode(raw).decode()
        return Reply(result["statusCode"], {k.lower(): v for k, v in (result.get("headers") or {}).items()}, raw)

    def mcp(self, handler: ModuleType, method: str, params: dict[str, Any] | None = None,
            token: str | None = None) -> Reply:
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream",
                   "mcp-protocol-version": "2025-06-18"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        message = {"jsonrpc": "2.0", "id": self.invocations + 1, "method": method, "params": params or {}}
        return self.request(handler, "POST", f"{BASE_URL}/mcp", body=json.dumps(message), headers=headers)


# --- the generated project, deployed on the moto control plane --------------------------

CLIENT_REDIRECT = "http://localhost:9999/callback"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    from mcpauth_wizard.provision.scaffold import ScaffoldValues, scaffold

    folder = tmp_path / "demo-server"
    scaffold("fastmcp-lambda", folder, ScaffoldValues("demo-server", REGION, POOL_ID, CLIENT_ID))
    return folder


@pytest.fixture
def deployed(aws: Any, fake_cognito: FakeCognito, monkeypatch: pytest.MonkeyPatch,
             project: Path) -> Path:
    """The generated project with what template.yaml creates: table, secrets, env vars."""
    server_environment(monkeypatch, aws.url)
    return project


# --- an MCP client and a user, signing in through the generated server -------------------

def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def register_client(browser: FunctionUrlBrowser, instance: ModuleType) -> str:
    """Dynamic client registration, as an MCP client does first."""
    reply = try_register(browser, instance)
    assert reply.status == 201, reply.body
    return reply.json()["client_id"]


def try_register(browser: FunctionUrlBrowser, instance: ModuleType) -> Reply:
    return browser.request(instance, "POST", f"{BASE_URL}/register", headers={"content-type": "application/json"},
                           body=json.dumps({"redirect_uris": [CLIENT_REDIRECT], "client_name": "test client",
                                            "token_endpoint_auth_method": "none"}))


def start_authorization(browser: FunctionUrlBrowser, instance: ModuleType, client_id: str,
                        challenge: str) -> Reply:
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": CLIENT_REDIRECT,
                       "code_challenge": challenge, "code_challenge_method": "S256", "state": "client-state",
                       "scope": "openid"})
    return browser.request(instance, "GET", f"{BASE_URL}/authorize?{query}")


def approve_consent(browser: FunctionUrlBrowser, shows: ModuleType, accepts: ModuleType, consent_url: str) -> Reply:
    """The user sees the consent page (served by `shows`) and approves (sent to `accepts`)."""
    page = browser.request(shows, "GET", consent_url)
    assert page.status == 200, page.body
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.body).group(1)
    txn = parse_qs(urlsplit(consent_url).query)["txn_id"][0]
    return browser.request(accepts, "POST", f"{BASE_URL}/consent",
                           headers={"content-type": "application/x-www-form-urlencoded"},
                           body=urlencode({"txn_id": txn, "csrf_token": csrf, "action": "approve"}))


@dataclass(frozen=True)
class IssuedCode:
    """What an MCP client holds after the user signed in, before it redeems the code."""

    client_id: str
    verifier: str
    code: str


def sign_in_until_code(browser: FunctionUrlBrowser, cognito: FakeCognito, a: ModuleType,
                       b: ModuleType) -> IssuedCode:
    """Register, authorize, consent, Cognito's login and the redirect back to the client:
    every step on the other instance than the step before."""
    client_id = register_client(browser, a)
    verifier, challenge = pkce()
    started = start_authorization(browser, b, client_id, challenge)
    assert started.status == 302 and started.location.startswith(f"{BASE_URL}/consent?txn_id="), started.body
    to_cognito = approve_consent(browser, a, b, started.location)
    assert to_cognito.status == 302 and to_cognito.location.startswith(cognito.authorize_endpoint)
    assert parse_qs(urlsplit(to_cognito.location).query)["redirect_uri"] == [f"{BASE_URL}/auth/callback"]
    back = browser.request(a, "GET", cognito.sign_in(to_cognito.location))
    assert back.status == 302 and back.location.startswith(CLIENT_REDIRECT + "?"), back.body
    return IssuedCode(client_id, verifier, parse_qs(urlsplit(back.location).query)["code"][0])


def redeem(browser: FunctionUrlBrowser, instance: ModuleType, issued: IssuedCode) -> Reply:
    """The client's token request for the code."""
    return browser.request(instance, "POST", f"{BASE_URL}/token",
                           headers={"content-type": "application/x-www-form-urlencoded"},
                           body=urlencode({"grant_type": "authorization_code", "code": issued.code,
                                           "redirect_uri": CLIENT_REDIRECT, "client_id": issued.client_id,
                                           "code_verifier": issued.verifier}))


def sign_in(browser: FunctionUrlBrowser, cognito: FakeCognito, a: ModuleType, b: ModuleType) -> str:
    """The whole sign-in, every step on the other instance than the step before. The token."""
    token = redeem(browser, b, sign_in_until_code(browser, cognito, a, b))
    assert token.status == 200, token.body
    return token.json()["access_token"]
