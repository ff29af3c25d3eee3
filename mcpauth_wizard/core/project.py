"""The project file `mcpauth.toml`: what was set up here, so commands need no ids.

It never holds a secret. Flags override it; commands that create things record them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mcpauth_wizard.core.errors import BadInput

PROJECT_FILE = "mcpauth.toml"
_SECTIONS = {
    "region": ("aws", "region"),
    "profile": ("aws", "profile"),
    "user_pool_id": ("cognito", "user_pool_id"),
    "domain": ("cognito", "domain"),
    "resource_url": ("resource", "url"),
    "scopes": ("resource", "scopes"),
    "gateway_id": ("gateway", "id"),
    "platforms_shared": ("clients_shared", "platforms"),
    "server_kind": ("server", "kind"),
    "base_url": ("proxy", "base_url"),
    "pool_name": ("cognito", "pool_name"),
    "passkeys": ("cognito", "passkeys"),
    "classic_login": ("cognito", "classic_login"),
    "gateway_allowed_scopes": ("gateway", "allowed_scopes"),
    "platforms": ("init", "platforms"),
    "secret": ("init", "secret"),
    "user_scopes": ("init", "user_scopes"),
    "registration": ("init", "registration"),
}
PROXY_KIND = "fastmcp-proxy"  # FastMCP's OAuth proxy: one Cognito client, clients register with it
PROXY_CLIENT = "proxy"  # its key in [clients]
_LISTS = ("scopes", "platforms_shared", "platforms", "secret", "user_scopes")
_FLAGS = ("passkeys", "classic_login", "gateway_allowed_scopes")


@dataclass(frozen=True)
class Project:
    """What mcpauth.toml records (all optional)."""

    region: str | None = None
    profile: str | None = None
    user_pool_id: str | None = None
    domain: str | None = None
    resource_url: str | None = None
    scopes: tuple[str, ...] = ()
    gateway_id: str | None = None
    platforms_shared: tuple[str, ...] = ()  # the platforms a "shared" client serves
    clients: dict[str, str] = field(default_factory=dict)  # platform (or "shared") → client id
    server_kind: str | None = None  # "fastmcp-proxy", else a gateway or a plain URL
    base_url: str | None = None  # the proxy's public base URL (None until the first deploy)
    ports: dict[str, int] = field(default_factory=dict)  # platform → pinned loopback port
    # The other answers of the last `init`, so a re-run asks nothing it already knows.
    pool_name: str | None = None
    platforms: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()  # platforms whose client has a secret (the others are public)
    user_scopes: tuple[str, ...] = ()
    passkeys: bool | None = None
    classic_login: bool | None = None
    gateway_allowed_scopes: bool | None = None
    registration: str | None = None  # static | dcr | both

    @property
    def is_proxy(self) -> bool:
        return self.server_kind == PROXY_KIND

    @property
    def proxy_client(self) -> str | None:
        """The proxy's one confidential Cognito app client."""
        return self.clients.get(PROXY_CLIENT) if self.is_proxy else None

    def client_for(self, platform: str | None) -> str | None:
        """The client id recorded for a platform (or the shared one serving it); without a
        platform, the only client there is. Never another platform's client."""
        if platform is None:
            distinct = set(self.clients.values())
            return distinct.pop() if len(distinct) == 1 else None
        if platform in self.clients:
            return self.clients[platform]
        if "shared" in self.clients and (not self.platforms_shared or platform in self.platforms_shared):
            return self.clients["shared"]
        return None

    def with_client(self, platform: str, client_id: str) -> Project:
        return replace(self, clients={**self.clients, platform: client_id})


def project_path(folder: str | os.PathLike[str] | None = None) -> Path:
    return Path(folder or os.getcwd()) / PROJECT_FILE


def load_project(path: Path | None = None) -> Project:
    """Read mcpauth.toml; a missing file is an empty project."""
    from mcpauth_wizard.core.files import read_toml

    path = path or project_path()
    data = read_toml(path, "the project file")
    if data is None:
        return Project()
    values: dict[str, Any] = {}
    for name, (section, key) in _SECTIONS.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise BadInput(f"{path}: {section} must be a table ([{section}])")
        value = table.get(key)
        if value is None:
            continue
        if name in _LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadInput(f"{path}: {section}.{key} must be a list of strings")
            values[name] = tuple(value)
        elif name in _FLAGS:
            if not isinstance(value, bool):
                raise BadInput(f"{path}: {section}.{key} must be true or false")
            values[name] = value
        elif isinstance(value, (str, int)):
            values[name] = str(value)
        else:
            raise BadInput(f"{path}: {section}.{key} must be a string")
    clients = data.get("clients", {})
    if not isinstance(clients, dict) or not all(isinstance(v, str) for v in clients.values()):
        raise BadInput(f"{path}: [clients] must be a table of platform = \"client id\"")
    ports = data.get("ports", {})
    if not isinstance(ports, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in ports.values()):
        raise BadInput(f"{path}: [ports] must be a table of platform = port number")
    return Project(**values, clients={str(k): str(v) for k, v in clients.items()},
                   ports={str(k): int(v) for k, v in ports.items()})


def dump_project(project: Project) -> str:
    """The TOML text of a project (stable order, so diffs stay small)."""
    sections: dict[str, dict[str, Any]] = {}
    for f in fields(Project):
        if f.name in ("clients", "ports"):
            continue
        value = getattr(project, f.name)
        if value in (None, ()):
            continue
        section, key = _SECTIONS[f.name]
        sections.setdefault(section, {})[key] = value
    if project.clients:
        sections["clients"] = dict(sorted(project.clients.items()))
    if project.ports:
        sections["ports"] = dict(sorted(project.ports.items()))
    import tomli_w  # quoting is tomli_w's: any name, newline or quote included, reads back

    header = "# Written by mcpauth: what was set up for this MCP server. No secrets here.\n\n"
    return header + tomli_w.dumps({section: {k: list(v) if isinstance(v, tuple) else v
                                             for k, v in values.items()}
                                   for section, values in sections.items()})


def save_project(project: Project, path: Path | None = None) -> Path:
    """Write mcpauth.toml atomically (a crash never leaves half a file)."""
    from mcpauth_wizard.core.files import write_atomic

    return write_atomic(path or project_path(), dump_project(project), "the project file")
