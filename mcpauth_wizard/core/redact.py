"""Secrets and tokens never appear whole in output: signatures removed, secrets masked."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

_JWE = re.compile(r"\beyJ[\w-]*\.[\w-]*\.[\w-]*\.[\w-]*\.[\w-]+")  # encrypted: nothing to show
_JWT = re.compile(r"\b(eyJ[\w-]*)\.(eyJ[\w-]*)\.([\w-]+)")


def redact_jwt(token: str) -> str:
    """header.payload.<signature redacted> — the claims stay readable, the token unusable."""
    return _JWT.sub(r"\1.\2.<signature redacted>", _JWE.sub("<encrypted token redacted>", token))


def mask(secret: str | None) -> str:
    return "" if not secret else "********"


def redact_text(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Redact every JWT signature and every known secret in a piece of evidence."""
    text = redact_jwt(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, mask(secret))
    return text


def jwt_claims(token: str) -> dict[str, Any]:
    """The unverified claims of a JWT, for display (never for a decision)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


# Names whose values are credentials wherever they appear: a query, a form, a JSON body.
SENSITIVE_NAMES = frozenset({
    "code", "client_secret", "access_token", "id_token", "refresh_token", "password", "code_verifier",
    "token", "assertion", "client_assertion", "registration_access_token", "session", "_csrf", "csrf",
    "cookie", "secret", "username_password", "device_code", "user_code", "otp",
    # the same in AWS's spelling (API parameters and answers, lower-cased)
    "clientsecret", "secretstring", "temporarypassword", "secrethash", "accesstoken", "idtoken",
    "refreshtoken", "secretbinary", "initialaccesstoken",
})
# Headers that carry credentials (request or answer).
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie",
                               "x-amz-security-token", "x-api-key"})
REDACTED = "<redacted>"


def redact_url(url: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """A URL with the value of every sensitive query parameter (code, tokens…) replaced."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.query:
        pairs = [(k, REDACTED if k.lower() in SENSITIVE_NAMES else v)
                 for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        url = urlunsplit(parts._replace(query=urlencode(pairs, safe="/:<>")))
    return redact_text(url, secrets)


def redact_value(value: Any, secrets: list[str] | tuple[str, ...] = ()) -> Any:
    """A JSON value (or a form) with every sensitive member replaced and every string redacted."""
    if isinstance(value, dict):
        # a number is never a credential (a JSON-RPC error's "code": -32001 stays readable)
        return {k: REDACTED if str(k).lower() in SENSITIVE_NAMES and v not in (None, "")
                and not isinstance(v, (int, float)) else redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, secrets) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


def redact_headers(headers: dict[str, str], secrets: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        if name.lower() in SENSITIVE_HEADERS:
            out[name] = REDACTED
        elif name.lower() == "location":
            out[name] = redact_url(value, secrets)
        else:
            out[name] = redact_text(value, secrets)
    return out
