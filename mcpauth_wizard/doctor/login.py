"""Phase 4 (opt-in, --login): a real sign-in, made the way a spec-compliant MCP client
makes it (MCP 2025-11-25 authorization; spec_client.py has the client's requests).

The MCP server is asked without a token until it challenges; its metadata is followed in
the spec's order; a client is had (pre-registered, CIMD, else dynamic registration); the
browser (or whoever opens the printed URL) signs in and lands on a loopback listener on
127.0.0.1, which checks state first and iss when advertised; the code is exchanged (PKCE
S256, `resource`, the token endpoint auth method the server allows); the MCP server is
called with the token, stepping up on 403 insufficient_scope a bounded number of times.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from urllib.parse import urlsplit

from mcpauth_wizard.core.redact import redact_jwt
from mcpauth_wizard.doctor.context import Context, Exchange
from mcpauth_wizard.doctor.findings import Finding
from mcpauth_wizard.doctor.registration import (
    Refusal,
    Registration,
    obtain,
    release,
    token_auth_method,
)
from mcpauth_wizard.doctor.runner import Outcome, Skip, Step
from mcpauth_wizard.doctor.spec_client import (
    Challenge,
    Discovered,
    McpConversation,
    Stop,
    discover,
    select_scope,
    step_up_scope,
)
from mcpauth_wizard.doctor.trust import secret_refusal
from mcpauth_wizard.mcp.platforms import PLATFORMS
from mcpauth_wizard.oauth.loopback import is_loopback
from mcpauth_wizard.oauth.signin import (
    AuthorizationRequest,
    ClientCredentials,
    authorization_request,
    callback_params,
)

LOOPBACK = re.compile(r"^http://(localhost|127\.0\.0\.1):(\d{2,5})/callback$")
LOGIN_TIMEOUT = 300.0
MAX_AUTHORIZATIONS = 3  # the first sign-in and at most two step-ups (no endless loop)
MAX_LINE = 8192  # request line / one header line; more is answered 431
MAX_HEADER_BYTES = 16384
HEAD_DEADLINE = 5.0  # a whole request head, however slowly its bytes come
MAX_CONNECTIONS = 32  # open at once on the listener


def _page(status: str, text: str) -> bytes:
    body = (f"<html><body><h1>mcpauth doctor</h1><p>{text}</p></body></html>").encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def loopback_redirects(ctx: Context, platform: str) -> list[str]:
    """The client's registered http://localhost:<port>/callback URLs, in order (or the
    doctor's default without an AWS view): the listener takes the first whose port is free,
    so two doctors at once (two demos, a CI matrix) each find one."""
    client = (ctx.facts.get("clients") or {}).get(platform)
    if client is None:  # no AWS view: use doctor's own default, `add-callback doctor` registers it
        return [PLATFORMS["doctor"].callback_urls()[0]]
    return [u for u in client.get("CallbackURLs") or [] if LOOPBACK.match(u)]


class PortTaken(Exception):
    """Another process listens on an address the sign-in's callback host resolves to."""

    def __init__(self, address: str, port: int, error: OSError) -> None:
        super().__init__(f"[{address}]:{port}" if ":" in address else f"{address}:{port}")
        self.address, self.port, self.error = address, port, error


def callback_addresses(host: str) -> list[str]:
    """Every address a browser may send `host`'s redirect to. An address literal is itself;
    `localhost` is what the resolver says plus both loopback addresses (browsers resolve
    localhost to ::1 and 127.0.0.1 whatever /etc/hosts says: WHATWG URL "host" and RFC 6761
    §6.3), so no other process can take the code on the address the listener left free."""
    if host != "localhost":
        return [host.strip("[]")]
    import socket

    found = ["127.0.0.1", "::1"]
    try:
        for *_, sockaddr in socket.getaddrinfo("localhost", None, type=socket.SOCK_STREAM):
            if str(sockaddr[0]) not in found and is_loopback(str(sockaddr[0])):
                found.append(str(sockaddr[0]))
    except OSError:
        pass
    return found


class Listener:
    """The loopback redirect URI. Only a GET of /callback, addressed to a loopback Host, whose
    state is one the sign-in is waiting for, is taken; anything else is answered and ignored,
    so another local page cannot end (or answer) the sign-in. One local process can neither
    hold it (each connection has HEAD_DEADLINE to send its request; past MAX_CONNECTIONS the
    oldest is dropped) nor rob it (every address of the callback's host is bound, or the
    sign-in does not start: PortTaken)."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[dict[str, str]]] = {}
        self.ignored: list[str] = []  # why requests were turned away (for the report)
        self.servers: list[asyncio.AbstractServer] = []
        self.port = 0
        self._open: dict[asyncio.StreamWriter, float] = {}  # connection → when it arrived

    async def start(self, port: int, host: str = "127.0.0.1") -> None:
        """Listen on `port` (0: a free one) at every address of `host`; PortTaken when
        another process holds one of them (an address this machine lacks is passed over)."""
        import errno

        try:
            for address in callback_addresses(host):
                try:
                    server = await asyncio.start_server(self._handle, address, port or self.port,
                                                        limit=MAX_LINE)
                except OSError as exc:
                    if exc.errno == errno.EADDRINUSE:
                        raise PortTaken(address, port or self.port, exc) from None
                    if address != "127.0.0.1" and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                        continue  # no IPv6 here: nobody else can listen there either
                    raise
                self.servers.append(server)
                self.port = self.port or server.sockets[0].getsockname()[1]
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for server in self.servers:
            server.close()
        for writer in list(self._open):
            writer.close()

    def expect(self, state: str) -> asyncio.Future[dict[str, str]]:
        future: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
        self.waiting[state] = future
        return future

    async def _read_head(self, reader: asyncio.StreamReader) -> tuple[str, dict[str, str]]:
        """Request line and headers; ValueError when a line or the whole head is too big."""
        line = (await reader.readline()).decode("latin-1")
        headers: dict[str, str] = {}
        size = len(line)
        while True:
            raw = await reader.readline()
            size += len(raw)
            if size > MAX_HEADER_BYTES:
                raise ValueError("request head too large")
            if raw in (b"\r\n", b"\n", b""):
                return line, headers
            name, _, value = raw.decode("latin-1").partition(":")
            headers.setdefault(name.strip().lower(), value.strip())

    def _take(self, line: str, headers: dict[str, str]) -> tuple[bytes, str | None]:
        """(answer, why it was ignored or None when it is the sign-in's answer)."""
        parts = line.split(" ")
        if len(parts) < 2 or parts[0] != "GET":
            return _page("405 Method Not Allowed", "Not a sign-in answer."), f"{parts[0]} request"
        host = urlsplit("//" + headers.get("host", "")).hostname or ""
        if not is_loopback(host):
            return _page("400 Bad Request", "Not a sign-in answer."), f"Host {headers.get('host')!r}"
        target = urlsplit(parts[1])
        if target.path != "/callback":
            return _page("404 Not Found", "Not a sign-in answer."), f"path {target.path}"
        params = callback_params(parts[1])
        future = self.waiting.get(params.get("state", ""))
        if future is None or future.done():
            return _page("400 Bad Request", "This is not the sign-in the doctor is waiting for."), \
                "a callback with another state"
        future.set_result(params)
        return _page("200 OK", "Sign-in received. You can close this window."), None

    def _admit(self, writer: asyncio.StreamWriter) -> None:
        """Hold at most MAX_CONNECTIONS: a new one pushes out the one waiting longest (a
        browser sends its request at once; a flood of idle connections cannot starve it)."""
        while len(self._open) >= MAX_CONNECTIONS:
            oldest = min(self._open, key=self._open.__getitem__)
            del self._open[oldest]
            oldest.close()
            self.ignored.append("an idle connection (too many open)")
        self._open[writer] = time.monotonic()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._admit(writer)
        try:
            try:
                async with asyncio.timeout(HEAD_DEADLINE):
                    line, headers = await self._read_head(reader)
            except ValueError:  # a line over the reader's limit, or too many headers
                writer.write(_page("431 Request Header Fields Too Large", "Request too large."))
                self.ignored.append("an oversized request")
            except TimeoutError:
                writer.write(_page("408 Request Timeout", "Request too slow."))
                self.ignored.append(f"a request not sent within {HEAD_DEADLINE:.0f}s")
            else:
                answer, why = self._take(line, headers)
                writer.write(answer)
                if why:
                    self.ignored.append(why)
            async with asyncio.timeout(HEAD_DEADLINE):
                await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            self._open.pop(writer, None)
            writer.close()


async def exchange(ctx: Context, token_url: str, registration: Registration, method: str,
                   request: AuthorizationRequest, code: str, resource: str) -> Exchange:
    """The token request (RFC 6749 §4.1.3 + PKCE + RFC 8707 resource), read like every
    other response of the doctor: bounded in size and time."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": request.redirect_uri,
            "code_verifier": request.code_verifier, "resource": resource}
    auth = None
    # The one place the client secret is attached to a request.
    secret = registration.client_secret
    if method == "client_secret_basic" and secret:
        auth = (registration.client_id, secret)
    elif method == "client_secret_post" and secret:
        form.update(client_id=registration.client_id, client_secret=secret)
    else:
        form["client_id"] = registration.client_id
    return await ctx.fetch("POST", token_url, data=form, auth=auth)


class _SignIn:
    """One sign-in: its findings, and the facts the report names."""

    def __init__(self, ctx: Context, platform: str) -> None:
        self.ctx, self.platform = ctx, platform
        self.facts: list[str] = []
        self.headline = ""  # "signed in; access token …" once it is
        self.secrets: tuple[str, ...] = ctx.secret_values

    @property
    def note(self) -> str:
        return " — ".join(p for p in (self.headline, "; ".join(self.facts)) if p)

    def finding(self, code: str, message: str, fix: str = "", evidence: dict[str, Any] | None = None,
                ) -> Outcome:
        return Outcome([Finding(code, message, platform=self.platform, fix=fix, evidence=evidence or {})],
                       note=self.note)

    async def authorize(self, listener: Listener, found: Discovered, client_id: str, redirect: str,
                        scope: str | None, deadline: float
                        ) -> tuple[AuthorizationRequest, dict[str, str]] | Outcome:
        """Open the authorize URL; the callback with this request's state, checked."""
        request = authorization_request(found.metadata["authorization_endpoint"],
                                        ClientCredentials(client_id), redirect, scope,
                                        resource=found.resource)
        arrived = listener.expect(request.state)
        try:
            if self.ctx.opener is not None:
                await asyncio.to_thread(self.ctx.opener, request.url, deadline)
            params = await asyncio.wait_for(arrived, max(1.0, deadline - time.monotonic()))
        except TimeoutError:
            return self.finding("LOGIN_TIMEOUT", f"no sign-in arrived on {redirect} within "
                                f"{LOGIN_TIMEOUT:.0f}s" + (f" (ignored: {', '.join(listener.ignored)})"
                                                           if listener.ignored else ""),
                                "open the printed URL in a browser and sign in")
        evidence = {"callback": {k: ("<code>" if k == "code" else v) for k, v in params.items()}}
        if "error" in params:
            return self.finding("LOGIN_ERROR", f"the sign-in ended with error={params['error']}: "
                                f"{params.get('error_description', '')}", evidence=evidence)
        issuer = found.metadata.get("issuer")
        advertised = found.metadata.get("authorization_response_iss_parameter_supported") is True
        if ("iss" in params or advertised) and params.get("iss") != issuer:
            return self.finding("LOGIN_ISS_MISMATCH", f"the callback's iss {params.get('iss')!r} is not "
                                f"the issuer {issuer!r} (RFC 9207: possible mix-up)", evidence=evidence)
        if not params.get("code"):
            return self.finding("LOGIN_ERROR", "the callback carries no code", evidence=evidence)
        return request, params


async def _secret(me: _SignIn, found: Discovered) -> str | None:
    """The given client secret, if trust.py's rule lets it go to this token endpoint."""
    secret = me.ctx.target.secrets.get(me.platform)
    if not secret:
        return None
    for step in ("aws.pool", "discovery.authorization_server"):  # what the rule judges by
        await me.ctx.after(step)
    refusal = secret_refusal(me.ctx, found.metadata["token_endpoint"])
    if refusal:
        me.facts.append(f"the client secret is not sent: {refusal}")
        return None
    return secret


async def sign_in(ctx: Context) -> Outcome:
    platform = ctx.target.login_platform
    if not platform:
        raise Skip("sign-in not asked for (--login)")
    me = _SignIn(ctx, platform)
    url = ctx.target.url
    conversation = McpConversation(ctx, url)
    first = await conversation.run(call_tool=None)
    if not isinstance(first, Challenge):
        raise Skip(f"the MCP server asked for no token ({first.status or first.error}); nothing to sign in to")
    found = await discover(ctx, url, first)
    if isinstance(found, Stop):
        return me.finding(found.code, found.message + "; the sign-in stops here", found.fix, found.evidence)
    me.facts.append(f"metadata {found.prm_url} → {found.metadata_url}")
    scope, why = select_scope(first, found.prm)
    me.facts.append(f"scope {scope!r} ({why})" if scope else f"no scope ({why})")

    client_id = ctx.target.clients.get(platform)
    pre = (client_id, await _secret(me, found)) if client_id else None
    cimd = found.metadata.get("client_id_metadata_document_supported") is True \
        and bool(ctx.target.client_metadata_url)
    candidates = loopback_redirects(ctx, platform) if pre or cimd else []
    if (pre or cimd) and not candidates:
        return me.finding("LOGIN_NO_LOOPBACK_CALLBACK", f"app client {client_id} has no "
                          "http://localhost:<port>/callback for the doctor to listen on",
                          f"`mcpauth add-callback doctor --client-id {client_id}` (port 8976; or --port N)")
    listener, taken = Listener(), []
    redirect = None
    try:  # a client the doctor registers itself gets a free port; a given one a registered one
        if not candidates:
            await listener.start(0)
        for candidate in candidates:  # the first registered port that nobody holds
            matched = LOOPBACK.match(candidate)
            assert matched is not None
            try:
                await listener.start(int(matched.group(2)), matched.group(1))
            except PortTaken as busy:
                taken.append(busy)
                listener = Listener()
                continue
            redirect = candidate
            break
    except OSError as exc:
        return me.finding("LOGIN_ERROR", f"cannot listen on 127.0.0.1 for {candidates or 'a free port'} "
                          f"({exc})", "free the port or register another")
    if candidates and redirect is None:
        held = ", ".join(str(t) for t in taken)
        return me.finding("LOGIN_PORT_TAKEN", f"another process listens on {held}: a browser sent to "
                          f"{', '.join(candidates)} could deliver the sign-in's code to it, so the sign-in "
                          "did not start", f"stop the process that listens on port {taken[0].port} "
                          "(`lsof -i :PORT` or `ss -ltnp` names it), or register another port: "
                          f"`mcpauth add-callback {me.platform} --port N`",
                          evidence={"taken": [{"address": t.address, "port": t.port} for t in taken]})
    redirect = redirect or f"http://127.0.0.1:{listener.port}/callback"
    try:
        return await _signed_in(me, conversation, listener, found, scope, redirect, pre)
    finally:
        listener.close()


async def _signed_in(me: _SignIn, conversation: McpConversation, listener: Listener,
                     found: Discovered, scope: str | None, redirect: str,
                     pre: tuple[str, str | None] | None) -> Outcome:
    ctx = me.ctx
    registration = await obtain(ctx, found.metadata, redirect, scope, pre_registered=pre,
                                metadata_url=ctx.target.client_metadata_url)
    if isinstance(registration, Refusal):
        return me.finding(registration.code, registration.message, registration.fix, registration.evidence)
    me.facts.append(registration.note)
    me.secrets += (registration.client_secret,) if registration.client_secret else ()
    outcome = Outcome()
    try:
        outcome = await _attempts(me, conversation, listener, found, registration, scope, redirect)
    finally:
        left, finding = await release(ctx, registration)
        if left:
            me.facts.append(left)
        if finding is not None:  # about the server, not this platform
            outcome.findings.append(finding)
        outcome.note = me.note
    return outcome


async def _attempts(me: _SignIn, conversation: McpConversation, listener: Listener,
                    found: Discovered, registration: Registration, scope: str | None,
                    redirect: str) -> Outcome:
    """Authorize, exchange, call; again with more scope on 403 insufficient_scope."""
    ctx = me.ctx
    method, method_why = token_auth_method(found.metadata, registration)
    me.facts.append(f"token endpoint auth {method} ({method_why})")
    deadline = time.monotonic() + LOGIN_TIMEOUT
    for attempt in range(1, MAX_AUTHORIZATIONS + 1):
        answered = await me.authorize(listener, found, registration.client_id, redirect, scope, deadline)
        if isinstance(answered, Outcome):
            return answered
        request, params = answered
        answer = await exchange(ctx, found.metadata["token_endpoint"], registration, method,
                                request, params["code"], found.resource)
        tokens = answer.json() if answer.status == 200 else None
        token = tokens.get("access_token") if isinstance(tokens, dict) else None
        if not isinstance(token, str) or not token:
            error = tokens.get("error") if isinstance(tokens := answer.json(), dict) else None
            return me.finding("LOGIN_ERROR", f"the code exchange failed: {found.metadata['token_endpoint']} "
                              f"answered {answer.status or answer.error}" + (f" ({error})" if error else ""),
                              evidence=answer.evidence(me.secrets))
        ctx.facts["access_token"] = token
        ctx.facts["token_client"] = registration.client_id
        conversation.token = token
        result = await conversation.run(call_tool=ctx.target.call_tool)
        if isinstance(result, Challenge) and result.insufficient_scope and attempt < MAX_AUTHORIZATIONS:
            scope = step_up_scope(scope, result)
            me.facts.append(f"403 insufficient_scope on {result.method}: stepped up to {scope!r}")
            continue
        return _called(me, result, token, conversation)
    raise AssertionError("unreachable: the last attempt returns")


def _called(me: _SignIn, result: Challenge | Exchange, token: str, conversation: McpConversation
            ) -> Outcome:
    me.headline = f"signed in; access token {redact_jwt(token)[:40]}…"
    if isinstance(result, Challenge):
        code = "MCP_INSUFFICIENT_SCOPE" if result.status == 403 else "MCP_TOKEN_REJECTED"
        return me.finding(code, f"{result.method} with the new token answered {result.status} "
                          f"({result.params.get('error', 'no error code')}) after "
                          f"{MAX_AUTHORIZATIONS if result.insufficient_scope else 1} sign-in(s)")
    if result.error or (result.status or 0) >= 400:
        return me.finding("MCP_TOKEN_REJECTED", f"the MCP server answered {result.status or result.error} "
                          "with the token", evidence=result.evidence(me.secrets + (token,)))
    called = f"; tools/call {me.ctx.target.call_tool} ok" if me.ctx.target.call_tool else ""
    me.facts.append(f"MCP: initialize ok, tools: {', '.join(conversation.tools) or 'none'}{called}")
    return Outcome(note=me.note)


def steps(ctx: Context) -> list[Step]:
    if not ctx.target.login_platform:
        return []
    platform = ctx.target.login_platform
    needs = (f"aws.client.{platform}",) if ctx.aws and platform in ctx.target.clients else ()
    return [Step("login", f"Sign in as {PLATFORMS[platform].title}, like a spec-compliant MCP client",
                 sign_in, needs=needs, timeout=LOGIN_TIMEOUT + 60,
                 preview=lambda c: "ask the MCP server without a token, follow its metadata, get a "
                                   "client, open the authorize URL in a browser; listen on 127.0.0.1")]
