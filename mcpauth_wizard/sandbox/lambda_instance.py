"""One "Lambda instance" of a scaffolded fastmcp-lambda project, as its own process.

    python -m mcpauth_wizard.sandbox.lambda_instance PROJECT PORT COGNITO_URL [--default-storage]

A process per instance so that nothing in memory is shared, and (with FastMCP's default
storage) its own FASTMCP_HOME folder, as each Lambda instance has its own /tmp. The
Cognito discovery fetch the provider makes at start-up (to cognito-idp.<region>.
amazonaws.com) is sent to COGNITO_URL, the sandbox; every later Cognito URL comes from
that discovery document. AWS calls (DynamoDB, Secrets Manager, SSM) follow
AWS_ENDPOINT_URL, the sandbox's control plane.
"""

from __future__ import annotations

import importlib
import sys
from types import SimpleNamespace
from typing import Any


def send_discovery_to(cognito_url: str) -> None:
    import httpx2
    from fastmcp.server.auth import oidc_proxy

    def get(url: str, **kwargs: Any) -> Any:
        host, _, path = url.partition(".amazonaws.com")
        if not host.startswith("https://cognito-idp."):
            raise ValueError(f"unexpected discovery fetch {url}")
        return httpx2.get(cognito_url.rstrip("/") + path, **kwargs)

    oidc_proxy.httpx2 = SimpleNamespace(get=get)  # type: ignore[attr-defined]


def load_app(project: str, *, default_storage: bool) -> Any:
    sys.path.insert(0, project)
    oauth_state = importlib.import_module("oauth_state")
    if default_storage:  # the popular recipe: FastMCP's own store, a folder on this instance
        oauth_state.encrypted_state_store = lambda *args, **kwargs: None
    return importlib.import_module("handler").app


def main(argv: list[str]) -> None:
    import uvicorn

    project, port, cognito_url = argv[0], int(argv[1]), argv[2]
    send_discovery_to(cognito_url)
    app = load_app(project, default_storage="--default-storage" in argv)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main(sys.argv[1:])
