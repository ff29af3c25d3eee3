"""An MCP server signed in through Amazon Cognito, made to run on AWS Lambda.

FastMCP's AWSCognitoProvider serves its own OAuth metadata (S256, dynamic client
registration) to MCP clients and signs users in through Cognito. Its state lives in
DynamoDB and its keys in Secrets Manager (see oauth_state.py), so any Lambda instance can
finish a sign-in that another began.

Configuration (set by template.yaml):
  COGNITO_USER_POOL_ID, COGNITO_REGION, COGNITO_CLIENT_ID   the Cognito app client
  COGNITO_CLIENT_SECRET_REF   its secret: secretsmanager:<name or ARN>
  OAUTH_STATE_TABLE           the DynamoDB table of OAuth state
  STORAGE_KEY_REF             key material that encrypts that state and hashes its keys
  JWT_SIGNING_KEY_REF         signing key material of the tokens this server issues
  REGISTRATIONS_PER_HOUR      cap on dynamic client registrations, all instances together
  REGISTRATIONS_PER_SOURCE_PER_HOUR   the same cap for one source address
  MCP_BASE_URL                public URL (optional: the function's own URL by default)
"""

from __future__ import annotations

import os

from fastmcp import FastMCP
from fastmcp.server.dependencies import get_access_token
from oauth_state import (
    RedeemOnceCognitoProvider,
    RegistrationCap,
    derived_key,
    encrypted_state_store,
    read_secret,
    required_env,
    state_store,
)
from starlette.middleware import Middleware

STORAGE_KEY = read_secret(required_env("STORAGE_KEY_REF"))  # read once per cold start


def public_base_url() -> str:
    """MCP_BASE_URL, else this function's Lambda Function URL (looked up once per cold start)."""
    configured = os.environ.get("MCP_BASE_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    import boto3

    found = boto3.client("lambda").get_function_url_config(
        FunctionName=required_env("AWS_LAMBDA_FUNCTION_NAME"))
    return found["FunctionUrl"].rstrip("/")


def cognito_auth() -> RedeemOnceCognitoProvider:
    """Cognito sign-in with state that survives cold starts and is shared by every instance."""
    return RedeemOnceCognitoProvider(
        user_pool_id=required_env("COGNITO_USER_POOL_ID"),
        aws_region=required_env("COGNITO_REGION"),  # the provider's default is eu-central-1
        client_id=required_env("COGNITO_CLIENT_ID"),
        client_secret=read_secret(required_env("COGNITO_CLIENT_SECRET_REF")),
        base_url=public_base_url(),  # Cognito needs exactly <base_url>/auth/callback
        client_storage=encrypted_state_store(required_env("OAUTH_STATE_TABLE"), STORAGE_KEY),
        # bytes are used as they are: the same key on every instance, no slow derivation
        jwt_signing_key=derived_key(read_secret(required_env("JWT_SIGNING_KEY_REF")), "jwt"),
    )


def registration_cap() -> Middleware:
    """At most REGISTRATIONS_PER_HOUR new clients an hour (REGISTRATIONS_PER_SOURCE_PER_HOUR
    from one address), counted in the shared table."""
    per_hour = int(os.environ.get("REGISTRATIONS_PER_HOUR", "60"))
    per_source = int(os.environ.get("REGISTRATIONS_PER_SOURCE_PER_HOUR", "10"))
    return Middleware(RegistrationCap, store=state_store(required_env("OAUTH_STATE_TABLE"), STORAGE_KEY),
                      per_hour=per_hour, per_source=per_source)


mcp = FastMCP(os.environ.get("MCP_SERVER_NAME", "mcp-on-lambda"), auth=cognito_auth())


@mcp.tool
def echo(text: str) -> str:
    """Return the text unchanged (a first tool to replace with your own)."""
    return text


@mcp.tool
def whoami() -> dict[str, object]:
    """Who signed in: the Cognito user behind this call."""
    token = get_access_token()
    claims = dict(token.claims) if token else {}
    return {"sub": claims.get("sub"), "username": claims.get("username"),
            "groups": claims.get("cognito:groups", [])}
