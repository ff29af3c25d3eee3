"""The managed-login emulator: Cognito's discovery, JWKS and OAuth endpoints, on loopback.

Every decision reads the live configuration (Directory). Each behaviour below names its
source, or says "unverified" and names the live contract test that checks it on AWS (then
the product must work whichever way AWS really goes, and tests run it under each: see
TOKEN_RESOURCE_MODES). Sources:
- [authorize] Cognito developer guide, "The redirect and authorization endpoint"
  (docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html):
  parameters, registered redirect_uri, S256, error responses.
- [token] guide, "The token issuer endpoint" (…/token-endpoint.html): grants, client
  authentication (basic or post), invalid_client / invalid_grant / unauthorized_client.
- [binding] guide, "Resource binding" and AWS What's New (Oct 2025): resource= on
  /oauth2/authorize puts that URL in the access token's aud (ESSENTIALS+, managed login).
- [tokens] guide, "Understanding the access token" / "the ID token": claims.
- [discovery] the discovery document Cognito serves; no code_challenge_methods_supported
  is reported (claude-code#67258, claude-ai-mcp#946), not documented.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mcpauth_wizard.sandbox import registration
from mcpauth_wizard.sandbox.directory import Directory
from mcpauth_wizard.sandbox.tokens import Signer, access_claims, id_claims

CODE_LIFETIME = 300  # seconds [token]: "authorization codes are valid for five minutes"

# What /oauth2/token does with a `resource` parameter: unverified (some proxies strip it and
# report invalid_grant; contract: tests/test_live_aws.py::test_live_token_endpoint_accepts_resource).
# "ignore": the code's binding decides aud; "accept": it must name a resource server of the
# pool and becomes aud; "refuse": invalid_request. Tests run the product under each
# (tests/test_sandbox_sourcing.py).
TOKEN_RESOURCE_MODES = ("ignore", "accept", "refuse")
DEFAULT_TOKEN_RESOURCE = "ignore"  # without MCPAUTH_SANDBOX_TOKEN_RESOURCE


@dataclass
class IssuedCode:
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    sub: str
    username: str
    email: str | None
    resource: str | None
    nonce: str | None
    expires: float
    used: bool = False


class LoginEmulator:
    """Per pool: discovery + JWKS at the issuer; per domain: authorize, login, token, userInfo."""

    def __init__(self, base_url: str, directory: Directory, signer: Signer,
                 token_resource: str = DEFAULT_TOKEN_RESOURCE) -> None:
        assert token_resource in TOKEN_RESOURCE_MODES, token_resource
        # unverified behaviour, switchable (contract: tests/test_live_aws.py::test_live_token_endpoint_accepts_resource)
        self.token_resource = token_resource
        self.base = base_url.rstrip("/")
        self.directory = directory
        self.signer = signer
        self.codes: dict[str, IssuedCode] = {}
        self.refresh_tokens: dict[str, IssuedCode] = {}
        self.registrar = registration.Registrar(directory, signer, self.issuer)

    # --- URLs -----------------------------------------------------------------
    def issuer(self, pool_id: str) -> str:
        return f"{self.base}/{pool_id}"

    def domain_url(self, prefix: str) -> str:
        return f"{self.base}/domains/{prefix}"

    def routes(self) -> list[Route]:
        return [
            Route("/{pool_id}/.well-known/openid-configuration", self.discovery),
            Route("/{pool_id}/.well-known/jwks.json", self.jwks),
            Route("/domains/{prefix}/oauth2/authorize", self.authorize),
            Route("/domains/{prefix}/login", self.login, methods=["GET", "POST"]),
            Route("/domains/{prefix}/oauth2/token", self.token, methods=["POST"]),
            Route("/domains/{prefix}/oauth2/userInfo", self.userinfo, methods=["GET", "POST"]),
            Route("/domains/{prefix}/error", self.error_page),
            Route("/domains/{prefix}/oauth2/register", self.registrar.register, methods=["POST"]),
        ]

    # --- discovery --------------------------------------------------------------
    async def discovery(self, request: Request) -> Response:
        pool_id = request.path_params["pool_id"]
        if self.directory.pool(pool_id) is None:
            return JSONResponse({"message": "User pool does not exist."}, status_code=404)
        domain = self.directory.domain_of_pool(pool_id)
        issuer = self.issuer(pool_id)
        document: dict[str, Any] = {
            # [discovery] shaped like Cognito's: no code_challenge_methods_supported (reported),
            # and no claims_supported: the document a user quoted from real Cognito
            # (github.com/localstack/localstack/issues/12914, 2025-07-28; its fields sorted by
            # name) goes from authorization_endpoint straight to end_session_endpoint
            # (tests/traces/issue-localstack-12914-openid-configuration.json).
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
        if domain:
            base = self.domain_url(domain.prefix)
            document.update(
                authorization_endpoint=f"{base}/oauth2/authorize",
                token_endpoint=f"{base}/oauth2/token",
                userinfo_endpoint=f"{base}/oauth2/userInfo",
                revocation_endpoint=f"{base}/oauth2/revoke",
                end_session_endpoint=f"{base}/logout",
            )
            if registration.dcr_configuration(self.directory, pool_id) is not None:
                document["registration_endpoint"] = f"{base}/oauth2/register"
        return JSONResponse(document)

    async def jwks(self, request: Request) -> Response:
        if self.directory.pool(request.path_params["pool_id"]) is None:
            return JSONResponse({"message": "User pool does not exist."}, status_code=404)
        return JSONResponse(self.signer.jwks())

    # --- authorize ----------------------------------------------------------------
    def _error_page(self, prefix: str, error: str, client_id: str | None) -> Response:
        query = {"error": error}
        if client_id:
            query["client_id"] = client_id
        return RedirectResponse(f"{self.domain_url(prefix)}/error?{urlencode(query)}", status_code=302)

    @staticmethod
    def _to_client(redirect_uri: str, state: str | None, error: str, description: str) -> Response:
        query = {"error": error, "error_description": description}
        if state is not None:
            query["state"] = state
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode(query)}", status_code=302)

    def _check_authorize(self, prefix: str, params: dict[str, str]) -> tuple[Response | None, dict[str, Any]]:
        """Cognito's checks, in its order: None + context when the login page may be shown."""
        domain = self.directory.domain(prefix)
        if domain is None:
            return JSONResponse({"message": "domain not found"}, status_code=404), {}
        client_id = params.get("client_id", "")
        client = self.directory.client(domain.pool_id, client_id)
        if client is None:
            return self._error_page(prefix, "invalid_request", client_id or None), {}
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in (client.get("CallbackURLs") or []):
            # [authorize] exact match with a registered callback URL; the error page and not
            # a redirect to the unregistered URI is observed behaviour (reported), unverified.
            # contract: tests/test_live_aws.py::test_live_authorize_unregistered_redirect_uri_shows_error_page
            return self._error_page(prefix, "redirect_mismatch", client_id), {}
        state = params.get("state")
        response_type = params.get("response_type")
        if not response_type:
            return self._to_client(redirect_uri, state, "invalid_request", "response_type is required"), {}
        flows = client.get("AllowedOAuthFlows") or []
        if (response_type != "code" or "code" not in flows
                or not client.get("AllowedOAuthFlowsUserPoolClient")):
            return self._to_client(redirect_uri, state, "unauthorized_client",
                                   "client is not allowed this response type"), {}
        method = params.get("code_challenge_method")  # [authorize]: "must be S256"
        if params.get("code_challenge") and method != "S256" or method and method != "S256":
            return self._to_client(redirect_uri, state, "invalid_request",
                                   "code_challenge_method must be S256"), {}
        allowed = client.get("AllowedOAuthScopes") or []
        # [authorize] scope optional: without it, every scope of the client (documented);
        # MCP clients that send none and then fail with invalid_grant are reported (#90190).
        requested = params.get("scope", "").split() or list(allowed)
        existing = self.directory.existing_scopes(domain.pool_id)
        bad = [s for s in requested if s not in allowed or s not in existing]
        if bad:
            return self._to_client(redirect_uri, state, "invalid_scope",
                                   f"scope not allowed: {' '.join(bad)}"), {}
        resource = params.get("resource")
        # [binding] one resource, a resource server identifier of the pool; the error code
        # for another value (invalid_target, RFC 8707) is unverified.
        # contract: tests/test_live_aws.py::test_live_authorize_unknown_resource_is_invalid_target
        if resource and resource not in self.directory.resource_identifiers(domain.pool_id):
            return self._to_client(redirect_uri, state, "invalid_target",
                                   "resource is not a resource server of this pool"), {}
        return None, {"domain": domain, "client": client, "scope": " ".join(requested)}

    async def authorize(self, request: Request) -> Response:
        prefix = request.path_params["prefix"]
        params = dict(request.query_params)
        problem, _ = self._check_authorize(prefix, params)
        if problem is not None:
            return problem
        return RedirectResponse(f"{self.domain_url(prefix)}/login?{urlencode(params)}", status_code=302)

    # --- the login page ---------------------------------------------------------
    def _login_unavailable(self, domain: Any, client: dict[str, Any]) -> str | None:
        if not client.get("SupportedIdentityProviders"):
            return "no identity provider is enabled for this app client"
        styled = registration.REGISTERED_CLIENTS_STYLED and client.get("ClientType") == "DCR"
        if domain.managed_login_version == 2 and not styled and not self.directory.has_branding(
                domain.pool_id, client["ClientId"]):
            return "no managed login style exists for this app client"
        return None

    async def login(self, request: Request) -> Response:
        prefix = request.path_params["prefix"]
        params = dict(request.query_params)
        form: dict[str, Any] = {}
        if request.method == "POST":
            form = dict(await request.form())
            params = {k[2:]: str(v) for k, v in form.items() if k.startswith("p_")}
        problem, context = self._check_authorize(prefix, params)
        if problem is not None:
            return problem
        unavailable = self._login_unavailable(context["domain"], context["client"])
        if unavailable:
            return HTMLResponse(f"<h1>Login pages unavailable</h1><p>{html.escape(unavailable)}</p>",
                                status_code=400)
        if request.method == "GET":
            return HTMLResponse(_login_form(params, None))
        user = self.directory.user(context["domain"].pool_id, str(form.get("username", "")))
        if user is None or user.password != form.get("password") or not user.enabled:
            return HTMLResponse(_login_form(params, "Incorrect username or password."), status_code=200)
        if user.status != "CONFIRMED":
            return HTMLResponse(_login_form(params, "This user must set a new password first "
                                            "(sandbox: admin-set-user-password --permanent)."))
        email = next((a["Value"] for a in user.attributes if a["Name"] == "email"), None)
        sub = next((a["Value"] for a in user.attributes if a["Name"] == "sub"), user.id)
        code = secrets.token_urlsafe(24)
        self.codes[code] = IssuedCode(
            client_id=params["client_id"], redirect_uri=params["redirect_uri"],
            scope=context["scope"], code_challenge=params.get("code_challenge"), sub=sub,
            username=user.username, email=email, resource=params.get("resource"),
            nonce=params.get("nonce"), expires=time.time() + CODE_LIFETIME,
        )
        query = {"code": code}
        if params.get("state") is not None:
            query["state"] = params["state"]
        sep = "&" if "?" in params["redirect_uri"] else "?"
        return RedirectResponse(f"{params['redirect_uri']}{sep}{urlencode(query)}", status_code=302)

    # --- token --------------------------------------------------------------------
    @staticmethod
    def _token_error(error: str, description: str = "") -> Response:
        body = {"error": error}
        if description:
            body["error_description"] = description
        return JSONResponse(body, status_code=400)

    def _authenticate(self, request: Request, form: dict[str, str], pool_id: str) -> tuple[dict[str, Any] | None, str | None]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except (ValueError, UnicodeDecodeError):
                return None, "malformed basic authorization"
            from urllib.parse import unquote

            client_id, _, secret = (unquote(p) for p in decoded.partition(":"))
        client = self.directory.client(pool_id, client_id or "")
        if client is None:  # [token] invalid_client
            return None, "unknown client"
        if client.get("ClientSecret"):
            if not secret or not secrets.compare_digest(secret, client["ClientSecret"]):
                return None, "client secret is missing or wrong"
        elif secret:  # unverified: Cognito's answer to a secret from a public client
            # contract: tests/test_live_aws.py::test_live_token_endpoint_refuses_a_secret_from_a_public_client
            return None, "public client sent a secret"
        return client, None

    async def token(self, request: Request) -> Response:
        domain = self.directory.domain(request.path_params["prefix"])
        if domain is None:
            return JSONResponse({"message": "domain not found"}, status_code=404)
        form = {k: str(v) for k, v in (await request.form()).items()}
        client, problem = self._authenticate(request, form, domain.pool_id)
        if client is None:
            return self._token_error("invalid_client", problem or "")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._code_grant(domain.pool_id, client, form)
        if grant == "refresh_token":
            if not form.get("refresh_token"):  # [token] "grant_type is refresh_token but
                # refresh_token is not included" is the guide's invalid_request example
                # (tests/traces/aws-guide-token-endpoint-errors.json)
                return self._token_error("invalid_request", "refresh_token is required")
            issued = self.refresh_tokens.get(form.get("refresh_token", ""))
            if issued is None or issued.client_id != client["ClientId"]:
                return self._token_error("invalid_grant", "refresh token is not valid")
            problem = self._token_resource(domain.pool_id, form, issued)
            # [binding] the bound resource is kept on refresh
            return problem or self._tokens(domain.pool_id, issued, refresh=False)
        if grant == "client_credentials":
            if not client.get("ClientSecret"):  # a client without a secret asking for it: Cognito
                # answered {"error":"invalid_scope"} (quoted in repost.aws/questions/QUnhrxb08MRJaH7hIRtUnCKA;
                # tests/traces/repost-client-credentials-public-client.json); the status is not
                # quoted: 400, as every token error the guide lists
                return self._token_error("invalid_scope", "client_credentials needs a client secret")
            return self._token_error("unauthorized_client", f"{grant} is not allowed for this client")
        # [token] unsupported_grant_type: "Returned if grant_type is anything other than
        # authorization_code or refresh_token" (implicit included: it is no token-endpoint
        # grant; tests/traces/aws-guide-token-endpoint-errors.json)
        return self._token_error("unsupported_grant_type")

    def _code_grant(self, pool_id: str, client: dict[str, Any], form: dict[str, str]) -> Response:
        if "code" not in (client.get("AllowedOAuthFlows") or []):
            return self._token_error("unauthorized_client", "code grant is not allowed")
        issued = self.codes.get(form.get("code", ""))
        if issued is None or issued.used or issued.expires < time.time():
            return self._token_error("invalid_grant", "code is unknown, used or expired")
        if issued.client_id != client["ClientId"]:
            return self._token_error("invalid_grant", "code was issued to another client")
        if form.get("redirect_uri") != issued.redirect_uri:  # [token]; the code is unverified
            # contract: tests/test_live_aws.py::test_live_token_endpoint_redirect_uri_mismatch_error
            return self._token_error("unauthorized_client", "invalid_redirect")
        problem = self._token_resource(pool_id, form, issued)
        if problem is not None:
            return problem
        if issued.code_challenge:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
            if not verifier or digest.decode() != issued.code_challenge:
                return self._token_error("invalid_grant", "PKCE verification failed")
        issued.used = True
        return self._tokens(pool_id, issued, refresh=True)

    def _token_resource(self, pool_id: str, form: dict[str, str], issued: IssuedCode) -> Response | None:
        """`resource` at the token endpoint (MCP clients send it): unverified, switchable.
        contract: tests/test_live_aws.py::test_live_token_endpoint_accepts_resource"""
        resource = form.get("resource")
        if not resource or self.token_resource == "ignore":
            return None
        if self.token_resource == "refuse":
            return self._token_error("invalid_request", "resource is not accepted here")
        if resource not in self.directory.resource_identifiers(pool_id) or (
                issued.resource and resource != issued.resource):
            return self._token_error("invalid_target", "resource does not match the grant")
        issued.resource = resource
        return None

    def _tokens(self, pool_id: str, issued: IssuedCode, *, refresh: bool) -> Response:
        issuer = self.issuer(pool_id)
        # Resource binding (aud) is an ESSENTIALS+ feature (AWS developer guide, "resource binding").
        # That it binds a self-registered (DCR) client's token the same way: unverified.
        # contract: tests/test_live_aws.py::test_live_resource_binding_sets_aud_for_self_registered_clients
        bound = issued.resource if registration.pool_tier(self.directory, pool_id) != "LITE" else None
        access = access_claims(issuer=issuer, client_id=issued.client_id, sub=issued.sub,
                               username=issued.username, scope=issued.scope, resource=bound)
        body: dict[str, Any] = {"access_token": self.signer.sign(access), "token_type": "Bearer",
                                "expires_in": 3600}
        if "openid" in issued.scope.split():
            body["id_token"] = self.signer.sign(id_claims(
                issuer=issuer, client_id=issued.client_id, sub=issued.sub,
                username=issued.username, email=issued.email, nonce=issued.nonce))
        if refresh:
            token = secrets.token_urlsafe(48)
            self.refresh_tokens[token] = issued
            body["refresh_token"] = token
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            # RFC 6750 §3.1: a request without credentials (or with another scheme) gets a
            # challenge "SHOULD NOT include an error code or other error information"
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        try:
            claims = self.signer.verify(token.strip())
        except Exception:  # noqa: BLE001 - any bad token is invalid_token
            claims = None
        if not claims or claims.get("token_use") != "access" or claims.get("exp", 0) < time.time():
            # guide, "The user attributes endpoint" (userinfo-endpoint.html), invalid token:
            # 401 and this error and description (tests/traces/aws-guide-userinfo-endpoint-errors.json)
            return JSONResponse({"error": "invalid_token"}, status_code=401, headers={
                "WWW-Authenticate": 'Bearer error="invalid_token", error_description="Access token is '
                                    'expired, disabled, or deleted, or the user has globally signed out."'})
        pool_id = claims["iss"].rsplit("/", 1)[-1]
        user = self.directory.user(pool_id, claims["username"])
        info = {"sub": claims["sub"], "username": claims["username"]}
        if user is not None:
            info.update({a["Name"]: a["Value"] for a in user.attributes if a["Name"] in ("email", "email_verified")})
        return JSONResponse(info)

    async def error_page(self, request: Request) -> Response:
        error = html.escape(request.query_params.get("error", "unknown"))
        return HTMLResponse(f"<h1>An error was encountered with the requested page.</h1><p>{error}</p>",
                            status_code=400)


def _login_form(params: dict[str, str], message: str | None) -> str:
    hidden = "\n".join(
        f'<input type="hidden" name="p_{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    notice = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
<p>mcpauth sandbox · managed login emulator</p>
{notice}
<form method="post">
{hidden}
<label>Email or username <input name="username" id="username" autocomplete="username"></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button type="submit" id="signin">Sign in</button>
</form>
</body></html>"""
