"""Phase 4 (opt-in, --login): a real sign-in through a loopback listener on 127.0.0.1.

The browser (or whoever opens the printed URL) signs in; the listener receives the code,
checks state and iss (RFC 9207), and the code is exchanged with authlib (PKCE S256).
"""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import urlsplit

from mcpauth_wizard.doctor.authorize import probe_scope
from mcpauth_wizard.doctor.context import Context
from mcpauth_wizard.doctor.discovery import endpoint
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step
from mcpauth_wizard.doctor.trust import trusted_secret
from mcpauth_wizard.platforms import PLATFORMS
from mcpauth_wizard.redact import redact_jwt
from mcpauth_wizard.signin import (
    ClientCredentials,
    authorization_request,
    callback_params,
    exchange_code,
)

LOOPBACK = re.compile(r"^http://(localhost|127\.0\.0\.1):(\d{2,5})/callback$")
LOGIN_TIMEOUT = 300.0
_PAGE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n"
         b"<html><body><h1>mcpauth doctor</h1><p>Sign-in received. You can close this window.</p>"
         b"</body></html>")


def loopback_redirect(ctx: Context, platform: str) -> str | None:
    """A registered http://localhost:<port>/callback of the client (or doctor's default)."""
    client = (ctx.facts.get("clients") or {}).get(platform)
    if client is None:  # no AWS view: use doctor's own default, `add-callback doctor` registers it
        return PLATFORMS["doctor"].callback_urls()[0]
    return next((u for u in client.get("CallbackURLs") or [] if LOOPBACK.match(u)), None)


async def _listen(port: int, arrived: asyncio.Future[dict[str, str]]) -> asyncio.AbstractServer:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            parts = line.split(" ")
            path = parts[1] if len(parts) > 1 else "/"
            if urlsplit(path).path == "/callback" and not arrived.done():
                arrived.set_result(callback_params(path))
            writer.write(_PAGE)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", port)


async def sign_in(ctx: Context) -> Outcome:
    platform = ctx.target.login_platform
    if not platform:
        raise Skip("sign-in not asked for (--login)")
    document = ctx.facts.get("as") or {}
    authorize_url, token_url = endpoint(ctx, "authorization_endpoint"), endpoint(ctx, "token_endpoint")
    if not authorize_url or not token_url:
        raise Skip("no authorization server endpoints")
    client_id = ctx.target.clients.get(platform)
    if not client_id:
        raise Skip(f"no client id for {platform}")
    redirect = loopback_redirect(ctx, platform)
    if redirect is None:
        return Outcome([Finding("LOGIN_NO_LOOPBACK_CALLBACK",
                                f"app client {client_id} has no http://localhost:<port>/callback for "
                                "the doctor to listen on", platform=platform,
                                fix=f"`mcpauth add-callback doctor --client-id {client_id}` "
                                    "(port 8976; or --port N)")])
    port = int(LOOPBACK.match(redirect).group(2))  # type: ignore[union-attr]
    client = ClientCredentials(client_id, trusted_secret(ctx, platform, token_url))  # trust.py's rule
    request = authorization_request(authorize_url, client, redirect,
                                    probe_scope(ctx), resource=ctx.target.url)
    arrived: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
    try:
        server = await _listen(port, arrived)
    except OSError as exc:
        return Outcome([Finding("LOGIN_ERROR", f"cannot listen on 127.0.0.1:{port} ({exc})",
                                platform=platform, fix="free the port or register another")])
    deadline = time.monotonic() + LOGIN_TIMEOUT
    try:
        opener = ctx.opener
        if opener is not None:
            await asyncio.to_thread(opener, request.url, deadline)
        params = await asyncio.wait_for(arrived, max(1.0, deadline - time.monotonic()))
    except TimeoutError:
        return Outcome([Finding("LOGIN_TIMEOUT", f"no sign-in arrived on {redirect} within "
                                f"{LOGIN_TIMEOUT:.0f}s", platform=platform,
                                fix="open the printed URL in a browser and sign in")])
    finally:
        server.close()
    evidence = {"callback": {k: ("<code>" if k == "code" else v) for k, v in params.items()}}
    if "error" in params:
        return Outcome([Finding("LOGIN_ERROR", f"the sign-in ended with error={params['error']}: "
                                f"{params.get('error_description', '')}", platform=platform,
                                evidence=evidence)])
    if params.get("state") != request.state:
        return Outcome([Finding("LOGIN_STATE_MISMATCH", "the callback's state is not the one sent",
                                platform=platform, evidence=evidence)])
    issuer = ctx.facts.get("issuer")
    if "iss" in params and params["iss"] != (document.get("issuer") or issuer):
        return Outcome([Finding("LOGIN_ISS_MISMATCH", f"the callback's iss {params['iss']} is not the "
                                f"issuer {document.get('issuer')} (RFC 9207: possible mix-up)",
                                platform=platform, evidence=evidence)])
    try:
        tokens = await asyncio.to_thread(exchange_code, token_url, client, request,
                                         params.get("code", ""))
    except Exception as exc:  # noqa: BLE001 - authlib raises OAuthError and transport errors
        return Outcome([Finding("LOGIN_ERROR", f"the code exchange failed: {type(exc).__name__}: "
                                f"{str(exc)[:200]}", platform=platform, evidence=evidence)])
    ctx.facts["access_token"] = tokens.get("access_token")
    ctx.facts["token_client"] = client_id
    return Outcome(note=f"signed in; access token {redact_jwt(str(tokens.get('access_token')))[:40]}…")


def steps(ctx: Context) -> list[Step]:
    if not ctx.target.login_platform:
        return []
    platform = ctx.target.login_platform
    needs = ("discovery.authorization_server",) + ((f"aws.client.{platform}",) if ctx.aws else ())
    return [Step("login", f"Sign in as {PLATFORMS[platform].title} (loopback listener)", sign_in,
                 needs=needs, timeout=LOGIN_TIMEOUT + 30,
                 preview=lambda c: "open the authorize URL in a browser; listen on 127.0.0.1")]
