"""Live Cognito and AgentCore configuration, read from the moto backends in this process.

The sandbox's web side (login emulator, gateway look-alike) decides everything from this
state at request time, so a change made through the control plane takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
STANDARD_SCOPES = frozenset({"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"})


def _region_of(pool_id: str) -> str:
    return pool_id.split("_", 1)[0]


@dataclass(frozen=True)
class Domain:
    prefix: str
    pool_id: str
    managed_login_version: int


class Directory:
    """Read-only views of the pools, domains, clients, users and gateways moto holds."""

    def __init__(self, account: str = ACCOUNT) -> None:
        self.account = account

    def _cognito(self, region: str) -> Any:
        from moto.cognitoidp.models import cognitoidp_backends

        return cognitoidp_backends[self.account][region]

    def _regions(self) -> list[str]:
        from moto.cognitoidp.models import cognitoidp_backends

        return list(cognitoidp_backends[self.account].keys())

    def pool(self, pool_id: str) -> Any | None:
        try:
            return self._cognito(_region_of(pool_id)).user_pools.get(pool_id)
        except (KeyError, ValueError):
            return None

    def domain(self, prefix: str) -> Domain | None:
        for region in self._regions():
            found = self._cognito(region).user_pool_domains.get(prefix)
            if found is not None:
                return Domain(prefix, found.user_pool_id, getattr(found, "managed_login_version", 1))
        return None

    def domain_of_pool(self, pool_id: str) -> Domain | None:
        for region in self._regions():
            for prefix, found in self._cognito(region).user_pool_domains.items():
                if found.user_pool_id == pool_id:
                    return Domain(prefix, pool_id, getattr(found, "managed_login_version", 1))
        return None

    def client(self, pool_id: str, client_id: str) -> dict[str, Any] | None:
        pool = self.pool(pool_id)
        client = pool.clients.get(client_id) if pool else None
        if client is None:
            return None
        described = client.to_json(extended=True)
        described["ClientSecret"] = client.secret if client.generate_secret else None
        return described

    def existing_scopes(self, pool_id: str) -> set[str]:
        pool = self.pool(pool_id)
        custom = {
            f"{rs.identifier}/{s['ScopeName']}"
            for rs in (pool.resource_servers.values() if pool else [])
            for s in rs.scopes or []
        }
        return set(STANDARD_SCOPES) | custom

    def resource_identifiers(self, pool_id: str) -> set[str]:
        pool = self.pool(pool_id)
        return set(pool.resource_servers) if pool else set()

    def has_branding(self, pool_id: str, client_id: str) -> bool:
        backend = self._cognito(_region_of(pool_id))
        return any(b["UserPoolId"] == pool_id and b["_ClientId"] == client_id
                   for b in getattr(backend, "mcpauth_brandings", {}).values())

    def user(self, pool_id: str, login: str) -> Any | None:
        """A user by user name or email (pools made by init use the email as user name)."""
        pool = self.pool(pool_id)
        if pool is None:
            return None
        for user in pool.users.values():
            emails = [a["Value"] for a in user.attributes if a["Name"] == "email"]
            if user.username == login or login in emails:
                return user
        return None

    def gateway(self, gateway_id: str) -> Any | None:
        from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

        for backend in bedrockagentcorecontrol_backends[self.account].values():
            found = getattr(backend, "gateways", {}).get(gateway_id)
            if found is not None:
                return found
        return None
