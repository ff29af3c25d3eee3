"""The first five minutes, as a person meets them. `mcpauth sandbox up` in one terminal; in a
fresh folder, the `mcpauth init …` line it prints, every question left at what the screen
offers (and once more choosing "static: … you paste its id" where it asks how clients get a
client id); then ChatGPT, Claude.ai and MCP Inspector set up from the paste panels alone:
each discovers the sign-in, signs the demo user in and calls a tool through the gateway.
Then the `mcpauth doctor` the screen names finds no error.

Nothing here comes from the code under test but what its screens say. What a client knows
by itself (its own callback URL, how it registers) comes from the platform registry and the
clients' public source, as the client would; the rest is the MCP authorization spec."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pexpect
import pytest

from mcpauth_wizard.mcp.platforms import PLATFORMS
from mcpauth_wizard.sandbox.form_signin import sign_in

COLUMNS, LINES = 200, 50  # wide enough that no panel line wraps
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\x08")
# prompt_toolkit turns bracketed paste on while a question waits, and off once it is answered.
QUESTION_OPENS, QUESTION_CLOSES = "\x1b[?2004h", "\x1b[?2004l"
RENDERED = "\x1b[?7h"  # the end of one drawing of the question (line wrap back on)
# questionary's "? " mark, then the question's text up to the next escape (the whole of it)
QUESTION = re.compile(r"(?<!\[)\?(?:\x1b\[[0-9;]*m)* (\S[^\x1b\r\n]*)(?=[\x1b\r\n])")
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "first-five-minutes", "version": "1"}}}


def mcpauth() -> list[str]:
    """The installed console script, as `pip install` leaves it beside the interpreter."""
    script = Path(sys.executable).parent / "mcpauth"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mcpauth_wizard"]


def plain(text: str) -> str:
    """What the terminal shows, as lines: colours and cursor moves dropped."""
    return ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def terminal_env(home: Path, exported: dict[str, str] | None = None) -> dict[str, str]:
    """A fresh shell: a terminal, a home of its own (no AWS config), and what `export` set."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update(HOME=str(home), TERM="xterm", COLUMNS=str(COLUMNS), LINES=str(LINES),
               PROMPT_TOOLKIT_NO_CPR="1")
    return {**env, **(exported or {})}


def _as_in_a_shell() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a runner started with `&` ignores Ctrl-C; a shell does not


def spawn(words: list[str], env: dict[str, str], cwd: Path) -> pexpect.spawn:
    command = mcpauth() + words
    return pexpect.spawn(command[0], command[1:], env=env, cwd=str(cwd), encoding="utf-8",
                         timeout=90, dimensions=(LINES, COLUMNS), preexec_fn=_as_in_a_shell)


# --- the sandbox's screen ---------------------------------------------------------------------

@dataclass(frozen=True)
class SandboxScreen:
    exported: dict[str, str]  # the `export …` line, as the shell would set it
    init_words: list[str]  # the suggested `mcpauth init …`, without "mcpauth"
    username: str
    password: str


def read_sandbox_screen(screen: str) -> SandboxScreen:
    text = plain(screen)
    export = re.search(r"^\s*export (.+)$", text, re.M)
    init = re.search(r"^\s*(mcpauth init .+)$", text, re.M)
    user = re.search(r"demo user\s+(\S+) / (\S+)\s*$", text, re.M)
    assert export and init and user, f"the sandbox screen lacks export / init / demo user:\n{text}"
    exported = dict(word.split("=", 1) for word in shlex.split(export.group(1)))
    assert exported["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:"), exported
    return SandboxScreen(exported, shlex.split(init.group(1))[1:], user.group(1), user.group(2))


@contextmanager
def sandbox_up(cwd: Path, home: Path) -> Iterator[SandboxScreen]:
    """`mcpauth sandbox up` in its own terminal; Ctrl-C at the end, as its screen says."""
    child = spawn(["sandbox", "up"], terminal_env(home), cwd)
    try:
        child.expect_exact("Ctrl-C stops everything")
        yield read_sandbox_screen(child.before or "")
        child.sendintr()
        child.expect(pexpect.EOF, timeout=30)
        child.close()
        assert "stopping the sandbox" in plain(child.before or "")
        assert child.exitstatus == 0, (child.exitstatus, child.signalstatus)
    finally:
        if child.isalive():
            child.sendintr()
            child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=15)
            child.terminate(force=True)


# --- answering questions as a person does -----------------------------------------------------

@dataclass(frozen=True)
class Run:
    exit_code: int
    questions: list[str]
    screen: str  # everything shown, colours dropped


def _choose(child: pexpect.spawn, wanted: str) -> bool:
    """In a list question, move to the option that starts with `wanted`; False if none does."""
    child.expect_exact(RENDERED)
    options = [line for line in plain(child.before or "").split("\n")
               if line.startswith(("   ", " » ")) and line.strip()]
    pointed = [i for i, line in enumerate(options) if line.startswith(" » ")]
    target = [i for i, line in enumerate(options) if line[3:].startswith(wanted)]
    if not (pointed and target):
        return False
    moves = target[0] - pointed[0]
    child.send(("\x1b[B" if moves > 0 else "\x1b[A") * abs(moves))
    return True


def answer_like_a_person(child: pexpect.spawn, choices: tuple[str, ...] = ()) -> Run:
    """Enter at every question (what the screen offers); "y" to apply the plan; a name the
    question asks to type, typed as shown in its parentheses; in a list, an option the person
    picks by its first words (`choices`). Read to the end; the exit code."""
    shown = io.StringIO()
    child.logfile_read = shown
    questions: list[str] = []
    while child.expect_exact([QUESTION_OPENS, pexpect.EOF]) == 0:
        child.expect(QUESTION)
        question = child.match.group(1).strip()
        questions.append(question)
        assert len(questions) < 40, questions
        typed = re.match(r"Type the .*?\(([^()]+)\)", question)
        if question.startswith("Apply"):
            child.send("y\r")  # as people do: y, then Enter
        elif typed:
            child.sendline(typed.group(1))
        else:
            for wanted in choices:
                if _choose(child, wanted):
                    break
            child.send("\r")
        child.expect_exact(QUESTION_CLOSES)
    child.close()
    return Run(child.exitstatus, questions, plain(shown.getvalue()))


# --- the paste panels -------------------------------------------------------------------------

@dataclass(frozen=True)
class Panel:
    title: str
    where: str
    fields: dict[str, str]

    def value(self, label_ending: str) -> str | None:
        """The field whose label ends with this (labels carry the app's menu path before it)."""
        found = [v for label, v in self.fields.items() if label.lower().endswith(label_ending.lower())]
        assert len(found) <= 1, (label_ending, self.fields)
        return found[0] if found else None


def read_panels(screen: str) -> dict[str, Panel]:
    """Each "Paste into <Title> ───" rule, its "Where:" line, then label lines (not indented)
    each followed by its value (lines indented by two spaces); a panel ends at any other line."""
    lines = [line.rstrip() for line in plain(screen).split("\n")]
    rule = re.compile(r"^Paste into (.+?) ─+$")
    panels: dict[str, Panel] = {}
    i = 0
    while i < len(lines):
        heading = rule.match(lines[i])
        i += 1
        if not heading:
            continue
        where, fields = "", {}
        while i < len(lines):
            line = lines[i]
            if line.startswith(("Where: ", "Note: ")):
                where = line.removeprefix("Where: ") if line.startswith("Where: ") else where
                i += 1
                continue
            value_at = i + 1
            while value_at < len(lines) and lines[value_at].startswith("  "):
                value_at += 1
            if not line or line.startswith(" ") or value_at == i + 1:
                break  # not a label with a value under it: the panel is over
            fields[line] = "\n".join(v[2:] for v in lines[i + 1:value_at])
            i = value_at
        panels[heading.group(1)] = Panel(heading.group(1), where, fields)
    return panels


# --- an MCP client, from the panel's values only ----------------------------------------------

@dataclass(frozen=True)
class Discovery:
    resource: str
    challenge_scope: str | None
    scopes_supported: tuple[str, ...]
    issuer: str
    metadata: dict[str, Any]  # the authorization server's


def _challenge_params(header: str) -> dict[str, str]:
    assert header.lower().startswith("bearer "), header
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def _authorization_server_metadata(http: httpx.Client, issuer: str) -> dict[str, Any]:
    """MCP authorization spec, "Authorization Server Metadata Discovery": for an issuer with a
    path, RFC 8414 with path insertion, OIDC with path insertion, then OIDC appended."""
    parts = urlsplit(issuer)
    origin, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    for url in (f"{origin}/.well-known/oauth-authorization-server{path}",
                f"{origin}/.well-known/openid-configuration{path}",
                f"{origin}{path}/.well-known/openid-configuration"):
        answer = http.get(url)
        if answer.status_code == 200:
            metadata = answer.json()
            assert metadata["issuer"] == issuer, (url, metadata["issuer"])  # RFC 8414 §3.3
            return metadata
    raise AssertionError(f"no authorization server metadata for {issuer}")


def discover(http: httpx.Client, url: str) -> Discovery:
    """What a client does with only the MCP URL: call it, follow the 401's challenge."""
    refused = http.post(url, json=INITIALIZE, headers=MCP_HEADERS)
    assert refused.status_code == 401, (refused.status_code, refused.text[:200])
    challenge = _challenge_params(refused.headers["www-authenticate"])
    prm = http.get(challenge["resource_metadata"])
    assert prm.status_code == 200, prm.text[:200]
    resource = prm.json()
    assert resource["resource"] == url  # RFC 9728 §3.3: the metadata is for the URL called
    issuer = resource["authorization_servers"][0]
    metadata = _authorization_server_metadata(http, issuer)
    for endpoint in ("authorization_endpoint", "token_endpoint"):
        assert urlsplit(metadata[endpoint]).hostname == "127.0.0.1", metadata[endpoint]  # stays local
    return Discovery(resource["resource"], challenge.get("scope"),
                     tuple(resource.get("scopes_supported") or ()), issuer, metadata)


@dataclass(frozen=True)
class ClientModel:
    """How one app behaves, as far as signing in goes (from its own code and docs)."""

    platform: str
    sends_resource: str  # "authorize+token", "authorize" or "" (unknown: not sent; stricter)
    token_auth: str  # with a secret: "client_secret_basic" or "client_secret_post"
    registers_as: str | None  # DCR token_endpoint_auth_method; None: RFC 7591's default
    callback_id: str  # the part of a per-connector callback only the app's settings show

    @classmethod
    def of(cls, platform: str) -> ClientModel:
        behaviour = PLATFORMS[platform].behaviour
        resource = str(behaviour.sends_resource.value)
        method = str(behaviour.token_auth_method.value)
        known = method if method.startswith("client_secret") else None
        # Inspector registers as a public client (client/src/lib/auth.ts, clientMetadata).
        return cls(platform, resource if resource.startswith("authorize") else "",
                   known or "client_secret_basic", "none" if platform == "inspector" else known,
                   secrets.token_hex(8))

    def redirect_uris(self, discovery: Discovery) -> list[str]:
        """The callbacks this app uses with this authorization server (RFC 9207 iss or not)."""
        iss = bool(discovery.metadata.get("authorization_response_iss_parameter_supported"))
        urls = PLATFORMS[self.platform].callbacks_for(iss_supported=iss)
        return [u.replace("{callback_id}", self.callback_id) for u in urls]

    def scope(self, discovery: Discovery, configured: str | None) -> str:
        """A configured scope first (Inspector's field), then the challenge's, then PRM's."""
        return configured or discovery.challenge_scope or " ".join(discovery.scopes_supported)


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    claims: dict[str, Any]
    registered: bool  # the client registered itself (no client id was pasted)


def _claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def register(http: httpx.Client, client: ClientModel, discovery: Discovery, scope: str) -> tuple[str, str | None]:
    """RFC 7591, as an app does when it has no client id: (client id, secret or None)."""
    endpoint = discovery.metadata.get("registration_endpoint")
    assert endpoint, "no client id to paste, and the authorization server offers no registration"
    metadata: dict[str, Any] = {"client_name": PLATFORMS[client.platform].title.replace(".", " "),
                                "redirect_uris": client.redirect_uris(discovery),
                                "grant_types": ["authorization_code", "refresh_token"],
                                "response_types": ["code"], "scope": scope}
    if client.registers_as:
        metadata["token_endpoint_auth_method"] = client.registers_as
    answer = http.post(endpoint, json=metadata)
    assert answer.status_code == 201, answer.text[:300]
    body = answer.json()
    return body["client_id"], body.get("client_secret")


def sign_in_as(http: httpx.Client, client: ClientModel, panel: Panel, discovery: Discovery,
               username: str, password: str) -> SignedIn:
    """(Registration,) authorize with PKCE, the login form, the code, the token."""
    scope = client.scope(discovery, panel.value("Scope"))
    assert scope, "neither the panel, the challenge nor the metadata names a scope"
    client_id, secret = panel.value("Client ID"), panel.value("Client Secret")
    if secret and secret.startswith("(none"):
        secret = None  # a public client: PKCE only
    registered = client_id is None
    if registered:
        client_id, secret = register(http, client, discovery, scope)
    assert client_id and " " not in client_id, client_id
    assert secret is None or "*" not in secret, "the panel hid the secret it asks to paste"
    redirect_uri = client.redirect_uris(discovery)[0]

    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
              "scope": scope, "state": state, "code_challenge_method": "S256",
              "code_challenge": challenge.decode()}
    if "authorize" in client.sends_resource:
        params["resource"] = discovery.resource
    landed = sign_in(f"{discovery.metadata['authorization_endpoint']}?{urlencode(params)}",
                     username, password)  # the redirect, not followed: it leaves 127.0.0.1
    assert landed.startswith(redirect_uri + "?"), landed
    answer = {k: v[0] for k, v in parse_qs(urlsplit(landed).query).items()}
    assert "error" not in answer, answer
    assert answer["state"] == state

    form = {"grant_type": "authorization_code", "code": answer["code"],
            "redirect_uri": redirect_uri, "code_verifier": verifier}
    if "token" in client.sends_resource:
        form["resource"] = discovery.resource
    auth = None
    if secret is None:
        form["client_id"] = client_id
    elif client.token_auth == "client_secret_post":
        form.update(client_id=client_id, client_secret=secret)
    else:
        auth = httpx.BasicAuth(client_id, secret)
    tokens = http.post(discovery.metadata["token_endpoint"], data=form, auth=auth)
    assert tokens.status_code == 200, tokens.text[:300]
    body = tokens.json()
    assert body["token_type"].lower() == "bearer"
    claims = _claims(body["access_token"])
    assert claims["iss"] == discovery.issuer and claims["client_id"] == client_id
    if client.sends_resource:  # RFC 8707: the token is bound to the MCP server it was asked for
        assert claims["aud"] == discovery.resource, claims
    assert set(scope.split()) - {"openid"} <= set(claims["scope"].split()), (scope, claims["scope"])
    return SignedIn(body["access_token"], claims, registered)


async def add_through_the_gateway(url: str, token: str) -> Any:
    """The official MCP SDK client with the bearer token: initialize, then tools/call add."""
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=20) as http, \
            streamable_http_client(url, http_client=http) as streams, \
            ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        return await session.call_tool("add", {"a": 2, "b": 3})


# --- the five minutes -------------------------------------------------------------------------

TITLES = {"ChatGPT": "chatgpt", "Claude.ai": "claude", "MCP Inspector": "inspector"}


def _backticked_after(screen: str, marker: str) -> list[str]:
    line = next((line for line in screen.split("\n") if marker in line), "")
    commands = re.findall(r"`([^`]+)`", line.split(marker, 1)[-1])
    assert commands, f"no command after {marker!r} on screen"
    return shlex.split(commands[0])


# every default: static app clients (the default in a terminal and in scripts alike);
# "dcr:": the person picks clients that register themselves
@pytest.mark.parametrize("picked", [(), ("dcr:",)], ids=["every-default", "self-registering"])
def test_from_the_installed_command_to_three_working_clients_with_only_what_the_screens_say(
        tmp_path: Path, picked: tuple[str, ...]) -> None:
    home, folder = tmp_path / "home", tmp_path / "my-mcp-server"
    home.mkdir()
    folder.mkdir()
    with sandbox_up(tmp_path, home) as sandbox:
        env = terminal_env(home, sandbox.exported)
        assert sandbox.init_words[0] == "init"
        init = answer_like_a_person(spawn(sandbox.init_words, env, folder), picked)
        assert init.exit_code == 0, init.screen[-3000:]
        assert init.questions[0].startswith("Continue with this account")
        assert any(q.startswith("Apply") for q in init.questions), init.questions

        panels = read_panels(init.screen)
        assert set(panels) == set(TITLES), init.screen[-3000:]
        if not picked:  # pre-registered app clients: each panel shows the id to paste
            assert all(p.value("Client ID") for p in panels.values()), panels
        for title, platform in TITLES.items():
            panel, client = panels[title], ClientModel.of(platform)
            url = panel.value("URL")
            assert url and url.startswith("http://127.0.0.1:"), panel
            with httpx.Client(timeout=15, follow_redirects=False) as http:
                discovery = discover(http, url)
                then = panel.value("Then") or ""
                if "add-callback" in then:  # the app shows its callback URL; the panel says what to run
                    words = _backticked_after(then, "run")
                    assert words[:2] == ["mcpauth", "add-callback"], words
                    shown = client.redirect_uris(discovery)[0]
                    added = answer_like_a_person(spawn([shown if w == "URL" else w for w in words[1:]],
                                                       env, folder))
                    assert added.exit_code == 0, added.screen
                    assert shown in added.screen, added.screen  # it says what it registered
                signed_in = sign_in_as(http, client, panel, discovery, sandbox.username, sandbox.password)
            assert signed_in.registered == (panel.value("Client ID") is None)
            result = asyncio.run(add_through_the_gateway(url, signed_in.access_token))
            assert not result.is_error, result
            assert [c.text for c in result.content] == ["5"], (title, result)

        assert "mcpauth doctor" in init.screen.split("Next:", 1)[-1], init.screen[-1500:]
        doctor_words = _backticked_after(init.screen, "Next:")
        assert doctor_words[:2] == ["mcpauth", "doctor"], doctor_words
        doctor = subprocess.run([*mcpauth(), *doctor_words[1:], "--json"], cwd=folder, env=env,
                                capture_output=True, text=True, timeout=120)
        report = json.loads(doctor.stdout)
        problems = [f for s in report["steps"] for f in s.get("findings", []) if f.get("severity") == "error"]
        assert report["summary"]["errors"] == 0, problems
        assert doctor.returncode == 0, doctor.stderr
        if picked:  # clients that register themselves: the doctor says how to check them
            skipped = [s for s in report["steps"] if s["id"].startswith("authorize.")]
            assert skipped and all(s["status"] == "skip" and "--probe-registration" in s["note"]
                                   for s in skipped), skipped
        verdicts = {name: v["verdict"] for name, v in report["platforms"].items()}
        assert "incompatible" not in verdicts.values(), verdicts  # a reported refusal is a risk only
