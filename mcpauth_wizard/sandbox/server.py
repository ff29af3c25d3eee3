"""The whole sandbox on 127.0.0.1: control plane, managed-login emulator, gateway look-alike.

    with Sandbox().start() as sandbox:
        os.environ.update(sandbox.aws_env())   # mcpauth now talks to the sandbox

Differences from AWS are listed in the README's sandbox section.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mcpauth_wizard.sandbox import cors as cors_surfaces
from mcpauth_wizard.sandbox.control_plane import ControlPlane
from mcpauth_wizard.sandbox.directory import Directory
from mcpauth_wizard.sandbox.tokens import Signer

REGION = "us-east-1"
DEMO_PASSWORD = "Sandbox-Passw0rd!"  # a local stand-in only; printed by `sandbox up`
GATEWAY_ROLE = "arn:aws:iam::123456789012:role/sandbox-gateway"


@dataclass(frozen=True)
class Seed:
    pool_id: str
    username: str
    password: str
    gateway_id: str


class _Web:
    """One uvicorn server on a loopback socket, in a background thread."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def start(self, timeout: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"sandbox web server did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class Sandbox:
    """Everything mcpauth needs to run end to end without an AWS account."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, web_port: int = 0,
                 public_web_url: str | None = None, cors: str | Iterable[str] | None = None) -> None:
        self.host = host
        # Which answers carry CORS headers (each surface's source: sandbox/cors.py); None: the
        # defaults, or MCPAUTH_SANDBOX_CORS. May be switched while running (cors.parse(…)).
        self.cors = cors_surfaces.parse(cors)
        self._public_web_url = public_web_url  # advertise this instead (e.g. a proxy in front)
        self.control_plane = ControlPlane(host, port)
        self.directory = Directory()
        self.signer = Signer()
        self._web_port = web_port
        self._web: _Web | None = None
        self._plain: list[_Web] = []

    # --- lifecycle ------------------------------------------------------------
    def start(self) -> Sandbox:
        from starlette.routing import Router

        from mcpauth_wizard.sandbox import moto_ext
        from mcpauth_wizard.sandbox.gateway import GatewayLookAlike
        from mcpauth_wizard.sandbox.login import DEFAULT_TOKEN_RESOURCE, LoginEmulator
        from mcpauth_wizard.sandbox.mcp_servers import gateway_tools_app

        self.control_plane.start()
        probe = socket.socket()
        probe.bind((self.host, self._web_port))
        web_port = probe.getsockname()[1]
        probe.close()
        self.web_url = self._public_web_url or f"http://{self.host}:{web_port}"
        moto_ext.gateway_url_base = f"{self.web_url}/gateways"
        # What the token endpoint does with `resource` is unverified: choose with this variable
        # (contract: tests/test_live_aws.py::test_live_token_endpoint_accepts_resource).
        self.login = LoginEmulator(self.web_url, self.directory, self.signer,
                                   os.environ.get("MCPAUTH_SANDBOX_TOKEN_RESOURCE", DEFAULT_TOKEN_RESOURCE))
        self.gateway = GatewayLookAlike(self.web_url, self.directory, self.signer,
                                        self.login.issuer, gateway_tools_app())
        router = Router(routes=self.login.routes())
        gateway = self.gateway

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            path = scope.get("path", "")
            if scope["type"] == "lifespan" or path.startswith(
                    ("/gateways/", "/.well-known/oauth-protected-resource/")):
                await gateway(scope, receive, send)
            else:
                await router(scope, receive, send)

        self._web = _Web(cors_surfaces.wrap(app, lambda: self.cors), self.host, web_port)
        self._web.start()
        return self

    def stop(self) -> None:
        for web in self._plain:
            web.stop()
        if self._web:
            self._web.stop()
        self.control_plane.stop()
        from mcpauth_wizard.sandbox import moto_ext

        moto_ext.gateway_url_base = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- for clients ------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        return self.control_plane.url

    def aws_env(self) -> dict[str, str]:
        """Environment that points boto3 (and so mcpauth) at the sandbox."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "MCPAUTH_LOGIN_URL": self.login.domain_url("{domain}"),  # panels' explicit endpoints
        }

    def boto(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id="sandbox", aws_secret_access_key="sandbox")

    def issuer(self, pool_id: str) -> str:
        return self.login.issuer(pool_id)

    def seed(self, *, pool_name: str = "sandbox-users", username: str = "demo@example.com",
             gateway_name: str = "sandbox-gateway") -> Seed:
        """A pool with a confirmed demo user, and a gateway not yet wired to Cognito."""
        cognito = self.boto("cognito-idp")
        pool = cognito.create_user_pool(
            PoolName=pool_name, UsernameAttributes=["email"], UserPoolTier="ESSENTIALS",
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )["UserPool"]["Id"]
        self.add_user(pool, username)
        gateway = self.boto("bedrock-agentcore-control").create_gateway(
            name=gateway_name, roleArn=GATEWAY_ROLE, protocolType="MCP", authorizerType="AWS_IAM",
            description="sandbox gateway (tools: add, echo)",
        )["gatewayId"]
        return Seed(pool, username, DEMO_PASSWORD, gateway)

    def add_user(self, pool_id: str, username: str, password: str = DEMO_PASSWORD) -> None:
        """A confirmed user with a permanent password (Cognito would email a temporary one)."""
        cognito = self.boto("cognito-idp")
        if self.directory.user(pool_id, username) is None:
            cognito.admin_create_user(
                UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
                UserAttributes=[{"Name": "email", "Value": username},
                                {"Name": "email_verified", "Value": "true"}])
        user = self.directory.user(pool_id, username)
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=user.username,
                                        Password=password, Permanent=True)

    def start_plain_server(self, pool_id: str, scopes: list[str] | None = None) -> str:
        """A FastMCP server with its own token check for this pool; returns its MCP URL."""
        from mcpauth_wizard.sandbox.mcp_servers import plain_server_app

        probe = socket.socket()
        probe.bind((self.host, 0))
        port = probe.getsockname()[1]
        probe.close()
        base = f"http://{self.host}:{port}"
        web = _Web(plain_server_app(base, self.issuer(pool_id), scopes or []), self.host, port)
        web.start()
        self._plain.append(web)
        return f"{base}/mcp"
