"""What counts as loopback: the one rule (RFC 8252 §7.3 and §8.3; RFC 6761 §6.3 for the
name `localhost`) used by the callback URL rules, the secret trust rule, the sign-in
listener and MCP URL checks alike.

A host is loopback when it is the name `localhost` (any letter case, optionally with the
trailing root dot) or an IP address in 127.0.0.0/8 or ::1 (brackets allowed).
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str | None) -> bool:
    name = (host or "").strip().lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False
