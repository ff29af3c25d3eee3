"""Callback URLs: what Cognito accepts, exact matching, and near misses.

Cognito matches redirect URIs exactly (scheme, host, port, path, trailing slash), so the
most useful thing we can do is refuse bad URLs before any AWS call and name the near
misses that make a sign-in fail with `redirect_mismatch`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.oauth.loopback import is_loopback

MAX_URL_LENGTH = 1024  # Cognito CallbackURLs member limit
MAX_CALLBACKS = 100  # Cognito: callback URLs per app client
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about", "blob"})
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")


def validate_callback_url(url: str) -> str:
    """Return the URL if Cognito would accept it as a callback, else raise BadInput."""
    if not url or url != url.strip() or any(c.isspace() for c in url):
        raise BadInput(f"callback URL {url!r} contains white space; accepted: an absolute URL")
    if len(url) > MAX_URL_LENGTH:
        raise BadInput(
            f"callback URL is {len(url)} characters long; accepted: at most {MAX_URL_LENGTH}"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise BadInput(f"callback URL {url!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if not scheme or not _SCHEME.match(scheme) or "://" not in url:
        raise BadInput(f"callback URL {url!r} is not absolute; accepted: scheme://host/path")
    if parts.fragment or url.endswith("#"):
        raise BadInput(f"callback URL {url!r} has a fragment (#…); Cognito refuses fragments")
    if scheme in _FORBIDDEN_SCHEMES:
        raise BadInput(f"callback URL {url!r} uses the {scheme}: scheme, which is never accepted")
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise BadInput(f"callback URL {url!r} has no host")
        if scheme == "http" and not is_loopback(_host(parts.netloc)):
            raise BadInput(
                f"callback URL {url!r} uses http:// on a non-loopback host; accepted: https://, "
                "or http:// on localhost / 127.0.0.1 / [::1]"
            )
    elif not (parts.netloc or parts.path):
        raise BadInput(f"callback URL {url!r} has neither host nor path")
    return url


def _host(netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host[: host.index("]") + 1].lower()
    return host.split(":", 1)[0].lower()


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


@dataclass(frozen=True)
class NearMiss:
    """A registered URL that differs from the wanted one only in ways Cognito counts."""

    wanted: str
    registered: str
    differences: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.registered} differs from {self.wanted} by {', '.join(self.differences)}"


def _shape(url: str) -> tuple[str, str, str, str, str]:
    """Scheme, host, port, path, query of a URL, loosely parsed (never raises)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ("", "", "", url, "")
    scheme = parts.scheme.lower()
    port_text = str(port if port is not None else _default_port(scheme) or "")
    return (scheme, _host(parts.netloc), port_text, parts.path, parts.query)


def near_miss(wanted: str, registered: str) -> NearMiss | None:
    """Name how `registered` misses `wanted`, if it is the same URL but for details."""
    if wanted == registered:
        return None
    ws, wh, wp, wpath, wq = _shape(wanted)
    rs, rh, rp, rpath, rq = _shape(registered)
    differences: list[str] = []
    if ws != rs:
        if {ws, rs} != {"http", "https"}:
            return None
        differences.append(f"scheme {rs} vs {ws}")
    if wh != rh:
        if not (is_loopback(wh) and is_loopback(rh)):
            return None
        differences.append(f"host {rh} vs {wh}")
    if wp != rp and (ws == rs or is_loopback(wh)):  # 80 vs 443 is just the scheme
        differences.append(f"port {rp or 'none'} vs {wp or 'none'}")
    if wpath != rpath:
        if wpath.rstrip("/") != rpath.rstrip("/"):
            return None
        differences.append("a trailing slash")
    if wq != rq:
        return None
    if not differences:  # only case differs in scheme/host: Cognito still matches exactly
        differences.append("letter case")
    return NearMiss(wanted=wanted, registered=registered, differences=tuple(differences))


def near_misses(wanted: list[str], registered: list[str]) -> list[NearMiss]:
    """Near misses among `registered` for each wanted URL that is not registered exactly."""
    found = []
    for w in wanted:
        if w in registered:
            continue
        found.extend(m for r in registered if (m := near_miss(w, r)))
    return found


# What a template's placeholders stand for: a client-chosen port, a per-connector id.
_PLACEHOLDERS = {r"\{port\}": r"\d{1,5}", r"\{callback_id\}": r"[A-Za-z0-9._~-]+",
                 r"\{server_id\}": r"[A-Za-z0-9_-]{12}"}  # Codex: derived from the server URL


def matches_template(url: str, template: str) -> bool:
    """Does `url` equal `template`, where "{port}" stands for any port number,
    "{callback_id}" for one path segment the client chose and "{server_id}" for the id Codex
    derives from the server URL?"""
    if "{" not in template:
        return url == template
    pattern = re.escape(template)
    for placeholder, meaning in _PLACEHOLDERS.items():
        pattern = pattern.replace(placeholder, meaning)
    return re.fullmatch(pattern, url) is not None


def origin_of(url: str) -> str:
    """scheme://host[:port]/ of a URL or template (the part a client never varies but for
    a loopback port)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if "{port}" in host or (scheme == "http" and is_loopback(_host(host))):
        host = _host(host) + ":PORT"  # any port: the user pins it
    return f"{scheme.lower()}://{host.lower()}/"


def port_in(urls: list[str] | tuple[str, ...], templates: tuple[str, ...] | str) -> int | None:
    """The loopback port of the first URL that matches one of a platform's "{port}"
    templates (the one place a port is read back out of callback URLs)."""
    for template in (templates,) if isinstance(templates, str) else templates:
        if "{port}" not in template:
            continue
        for url in urls:
            if matches_template(url, template):
                port = urlsplit(url).port
                if port is not None:
                    return port
    return None


@dataclass(frozen=True)
class CallbackChange:
    """The callback list of one app client before and after a change."""

    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(u for u in self.after if u not in self.before)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(u for u in self.before if u not in self.after)

    @property
    def changes_anything(self) -> bool:
        return self.before != self.after


def add_urls(current: list[str] | tuple[str, ...], urls: list[str]) -> CallbackChange:
    """The callback list with `urls` appended (those not already present, in order)."""
    after = list(current)
    for url in urls:
        if url not in after:
            after.append(url)
    if len(after) > MAX_CALLBACKS:
        raise BadInput(
            f"the client would have {len(after)} callback URLs; Cognito accepts at most "
            f"{MAX_CALLBACKS} (remove some with `mcpauth remove-callback`)"
        )
    return CallbackChange(before=tuple(current), after=tuple(after))


def remove_urls(current: list[str] | tuple[str, ...], urls: list[str]) -> CallbackChange:
    """The callback list without `urls`."""
    return CallbackChange(
        before=tuple(current), after=tuple(u for u in current if u not in set(urls))
    )
