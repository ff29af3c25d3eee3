"""Shared fixtures: a moto control plane on 127.0.0.1 that behaves like AWS, and CLI runners."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.sandbox.control_plane import ControlPlane

REGION = "us-east-1"
pytest_plugins = ["tests.sandbox_fixtures"]


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    plane = ControlPlane().start()
    yield plane
    plane.stop()


@pytest.fixture
def aws(control_plane: ControlPlane, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ControlPlane:
    """A clean control plane, this process's AWS settings pointed at it, cwd in a temp dir."""
    control_plane.reset()
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", control_plane.url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.chdir(tmp_path)
    return control_plane


@pytest.fixture
def cognito(aws: ControlPlane) -> Any:
    import boto3

    return boto3.client("cognito-idp", endpoint_url=aws.url, region_name=REGION)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the CLI in this process (fast), returning exit code, stdout and stderr."""
    from mcpauth_wizard.cli import main

    def _run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
        captured = capsys.readouterr()
        return Result(code=code, out=captured.out, err=captured.err)

    return _run


@pytest.fixture
def run_process() -> Any:
    """Run the real `mcpauth` command as a subprocess, with this process's environment."""

    def _run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "mcpauth_wizard", *args],
            capture_output=True,
            text=True,
            input=input,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
            timeout=120,
        )
        return Result(code=proc.returncode, out=proc.stdout, err=proc.stderr)

    return _run


def full_client_settings(resource: str) -> dict[str, Any]:
    """An app client with every setting that a careless update would reset."""
    return {
        "ClientName": "every-setting",
        "RefreshTokenValidity": 10,
        "AccessTokenValidity": 2,
        "IdTokenValidity": 3,
        "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"},
        "ReadAttributes": ["email", "name"],
        "WriteAttributes": ["name"],
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": ["https://app.example.com/callback"],
        "LogoutURLs": ["https://app.example.com/bye"],
        "DefaultRedirectURI": "https://app.example.com/callback",
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", f"{resource}/invoke"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": False,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": 7,
        "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 20},
    }


RESOURCE = "https://abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp"


@pytest.fixture
def pool_with_client(cognito: Any, aws: ControlPlane) -> tuple[str, str]:
    """A pool with the MCP resource server and one fully configured app client."""
    pool = cognito.create_user_pool(PoolName="mcp-users")["UserPool"]["Id"]
    cognito.create_resource_server(
        UserPoolId=pool, Identifier=RESOURCE, Name="mcp",
        Scopes=[{"ScopeName": "invoke", "ScopeDescription": "call tools"}],
    )
    client = cognito.create_user_pool_client(
        UserPoolId=pool, GenerateSecret=True, **full_client_settings(RESOURCE)
    )["UserPoolClient"]["ClientId"]
    aws.log.clear()
    return pool, client
