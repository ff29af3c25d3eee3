"""The client under test for the MCP conformance suite: `mcpauth doctor URL --login`.

The suite appends the MCP server URL to this command and passes pre-registered
credentials (when a scenario has them) in MCP_CONFORMANCE_CONTEXT; they become the
doctor's --client-id / --client-secret-env, as a user would pass them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

SECRET_VAR = "MCP_CONFORMANCE_CLIENT_SECRET"


def command(url: str, context: dict[str, str], extra: list[str]) -> list[str]:
    args = [sys.executable, "-m", "mcpauth_wizard", "doctor", url, "--login", *extra]
    if context.get("client_id"):
        args += ["--client-id", context["client_id"]]
    if context.get("client_secret"):
        args += ["--client-secret-env", SECRET_VAR, "--issuer", issuer_of(url)]
    return args


def issuer_of(url: str) -> str:
    """The authorization server the pre-registered client belongs to. The doctor sends a
    secret only to one the user names (--issuer); the suite does not pass it, so it is
    looked up as a user would: in the server's protected-resource metadata."""
    import httpx

    parts = urlsplit(url)
    metadata = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path}"
    return str(httpx.get(metadata, timeout=10).json()["authorization_servers"][0])


if __name__ == "__main__":
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    env = {**os.environ, SECRET_VAR: context.get("client_secret", "")}
    extra = json.loads(os.environ.get("MCPAUTH_CONFORMANCE_FLAGS") or "[]")
    sys.exit(subprocess.run(command(sys.argv[-1], context, extra), env=env).returncode)
