"""A running sandbox with a setup made by the real `mcpauth init` (shared by sandbox tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.sandbox.local import environment as _environment
from mcpauth_wizard.sandbox.local import working_folder as _folder
from mcpauth_wizard.sandbox.server import Sandbox, Seed


@dataclass
class Setup:
    sandbox: Sandbox
    seed: Seed
    folder: Path
    pool_id: str
    mcp_url: str
    scope: str
    clients: dict[str, str]
    secrets: dict[str, str]
    domain_url: str

    @property
    def authorize(self) -> str:
        return f"{self.domain_url}/oauth2/authorize"

    @property
    def token(self) -> str:
        return f"{self.domain_url}/oauth2/token"


def mcpauth(sandbox: Sandbox, folder: Path, *args: str, env: dict[str, str] | None = None,
            columns: int = 200) -> tuple[int, str]:
    """Run the CLI in-process against the sandbox, in `folder` (`env` over the sandbox's)."""
    import contextlib
    import io

    from mcpauth_wizard.cli import main

    out = io.StringIO()
    with _environment({**sandbox.aws_env(), "COLUMNS": str(columns), **(env or {})}), _folder(str(folder)), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(list(args))
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with Sandbox().start() as running:
        running.control_plane.reset()  # moto's state is per process: start from nothing
        yield running


@pytest.fixture(scope="module")
def setup(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    folder = tmp_path_factory.mktemp("setup")
    seed = sandbox.seed()
    code, out = mcpauth(sandbox, folder, "init", "--pool-id", seed.pool_id, "--domain", "conf-login",
                        "--gateway-id", seed.gateway_id, "--platform", "chatgpt,claude,inspector",
                        "--gateway-allowed-scopes", "--yes", "--allow-breaking")
    assert code == 0, out
    code, shown = mcpauth(sandbox, folder, "show", "--reveal", "--json")
    assert code == 0, shown
    data = json.loads(shown)
    clients = {h["platform"]: h["client_id"] for h in data["handoffs"]}
    secrets = {}
    for h in data["handoffs"]:
        for label, value in h["fields"].items():
            if "Secret" in label and not value.startswith("("):
                secrets[h["platform"]] = value
    mcp_url = data["mcp_url"]
    return Setup(sandbox, seed, folder, seed.pool_id, mcp_url, f"openid {mcp_url}/invoke",
                 clients, secrets, sandbox.login.domain_url("conf-login"))


def sandbox_boto(sandbox: Sandbox, service: str, region: str = "us-east-1") -> Any:
    """A boto3 client of the sandbox's control plane in `region` (Sandbox.boto is us-east-1)."""
    import boto3

    return boto3.client(service, endpoint_url=sandbox.endpoint_url, region_name=region,
                        aws_access_key_id="sandbox", aws_secret_access_key="sandbox")


def remove_callbacks(sandbox: Sandbox, pool_id: str, client_name: str,
                     region: str = "us-east-1") -> None:
    """A console edit: the app client's callback URLs emptied (every other setting kept)."""
    cognito = sandbox_boto(sandbox, "cognito-idp", region)
    listed = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = next(c["ClientId"] for c in listed if c["ClientName"] == client_name)
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    model = cognito.meta.service_model.operation_model("UpdateUserPoolClient").input_shape.members
    kept = {k: v for k, v in described.items() if k in model}
    kept["CallbackURLs"] = []
    cognito.update_user_pool_client(**kept)
