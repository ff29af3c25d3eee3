"""The pool's app clients, each with who made it, and the plan that prunes registered ones.

Who made a client, in this order:
- "registered": AWS says so — `ClientType: DCR` on DescribeUserPoolClient (botocore
  `ClientTypeType`: "An application registered the app client through dynamic client
  registration"). ListUserPoolClients does not carry it, so every client is described.
- "mcpauth": its id is in mcpauth.toml, or its name is one init gives (`mcpauth-<platform>`).
- "other": anything else (made in the console, by another tool, …). Never pruned.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from mcpauth_wizard.core.errors import BadInput, NotFound

Origin = Literal["mcpauth", "registered", "other"]
MCPAUTH_NAME = re.compile(r"^mcpauth-[a-z0-9-]+$")
AGE = re.compile(r"^(\d+)([dh])$")
DESCRIBE_CONCURRENCY = 8  # DescribeUserPoolClient calls in flight (a pool may hold 1,000 clients)


@dataclass(frozen=True)
class AppClient:
    id: str
    name: str
    created: dt.datetime | None
    confidential: bool
    callbacks: tuple[str, ...]
    origin: Origin

    def as_dict(self) -> dict[str, Any]:
        return {"client_id": self.id, "name": self.name,
                "created": self.created.isoformat() if self.created else None,
                "secret": self.confidential, "callbacks": list(self.callbacks), "origin": self.origin}


def origin_of(described: dict[str, Any], recorded: set[str]) -> Origin:
    if described.get("ClientType") == "DCR":
        return "registered"
    if described["ClientId"] in recorded or MCPAUTH_NAME.match(described.get("ClientName") or ""):
        return "mcpauth"
    return "other"


def app_client(described: dict[str, Any], recorded: set[str]) -> AppClient:
    created = described.get("CreationDate")
    return AppClient(
        id=described["ClientId"], name=described.get("ClientName") or "",
        created=created if isinstance(created, dt.datetime) else None,
        # A secret kept in Secrets Manager shows as ClientSecretArn (botocore model).
        confidential=bool(described.get("ClientSecret") or described.get("ClientSecretArn")),
        callbacks=tuple(described.get("CallbackURLs") or ()),
        origin=origin_of(described, recorded))


def inventory(aws: Any, pool_id: str, recorded: set[str],
              on_progress: Callable[[int, int], None] | None = None) -> list[AppClient]:
    """Every app client of the pool, described (concurrently), oldest first."""
    from mcpauth_wizard.aws import app_clients

    ids = [c["ClientId"] for c in app_clients.list_clients(aws, pool_id)]
    done = [0]
    lock = threading.Lock()

    def describe(client_id: str) -> AppClient | None:
        try:
            found = app_client(app_clients.describe_client(aws, pool_id, client_id), recorded)
        except NotFound:  # deleted between the list and the describe
            found = None
        with lock:
            done[0] += 1
            if on_progress:
                on_progress(done[0], len(ids))
        return found

    with ThreadPoolExecutor(DESCRIBE_CONCURRENCY) as pool:
        found = [c for c in pool.map(describe, ids) if c is not None]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(found, key=lambda c: (c.created or oldest, c.name))


MAX_AGE_DAYS = 36500  # a hundred years: longer is no age any client has


def parse_age(text: str) -> dt.timedelta:
    """'30d' or '12h' → a duration; anything else is bad input."""
    match = AGE.match(text.strip())
    accepted = f"accepted: a number of days or hours from 1 to {MAX_AGE_DAYS} days, e.g. 30d or 12h"
    if not match or int(match.group(1)) == 0:
        raise BadInput(f"--older-than {text!r}; {accepted}")
    hours = int(match.group(1)) * (24 if match.group(2) == "d" else 1)
    if hours > MAX_AGE_DAYS * 24:  # (cutoff = now - age would not be a date)
        raise BadInput(f"--older-than {text!r} is longer than any app client has existed; {accepted}")
    return dt.timedelta(hours=hours)


def prune_plan(clients: list[AppClient], older_than: dt.timedelta,
               now: dt.datetime | None = None) -> list[AppClient]:
    """Registered clients created before now - older_than; never an mcpauth-made or other one."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - older_than
    return [c for c in clients
            if c.origin == "registered" and c.created is not None and c.created < cutoff]
