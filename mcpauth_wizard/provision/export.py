"""`mcpauth export cloudformation`: the current setup as a CloudFormation template.

Reads AWS (read calls only) and describes what is there: the user pool, its login
domain, resource servers, app clients (callbacks exactly as registered) with their
managed login branding, and the AgentCore gateway's JWT authorizer. Secrets are never
written: a client with a secret is exported as `GenerateSecret: true`, as AWS creates it.
Every resource is marked Retain, so the template can also adopt the live resources
through a CloudFormation import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mcpauth_wizard.aws import agentcore, app_clients, domains, resource_servers, user_pools
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.core.project import Project

FORMATS = ("cloudformation",)

# UserPool properties that Describe returns under the same name and shape as CloudFormation.
_POOL_KEYS = (
    "UserPoolTier", "Policies", "DeletionProtection", "LambdaConfig", "AutoVerifiedAttributes",
    "AliasAttributes", "UsernameAttributes", "VerificationMessageTemplate",
    "UserAttributeUpdateSettings", "MfaConfiguration", "DeviceConfiguration",
    "EmailConfiguration", "SmsConfiguration", "UserPoolTags", "AdminCreateUserConfig",
    "UserPoolAddOns", "UsernameConfiguration", "AccountRecoverySetting",
)
_CLIENT_KEYS = (
    "ClientName", "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity",
    "TokenValidityUnits", "ReadAttributes", "WriteAttributes", "ExplicitAuthFlows",
    "SupportedIdentityProviders", "CallbackURLs", "LogoutURLs", "DefaultRedirectURI",
    "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration", "PreventUserExistenceErrors", "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData", "AuthSessionValidity", "RefreshTokenRotation",
)
# UpdateGateway members (from the botocore model, as the update path reads them) that
# AWS::BedrockAgentCore::Gateway has no property for: named in the template's Metadata.
_GATEWAY_NOT_IN_CLOUDFORMATION = frozenset({"customTransformConfiguration", "domainOverride"})


@dataclass(frozen=True)
class Export:
    """The template and what it holds (for the summary line)."""

    template: dict[str, Any]

    @property
    def resource_types(self) -> list[str]:
        return [r["Type"] for r in self.template["Resources"].values()]

    def text(self) -> str:
        return json.dumps(self.template, indent=2, sort_keys=False) + "\n"


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise BadInput(f"unknown export format {name!r}; accepted: {', '.join(FORMATS)}")
    return name


def logical_id(prefix: str, name: str, taken: set[str]) -> str:
    """A CloudFormation logical id (alphanumeric) from a name, unique in the template."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    base = prefix + "".join(w[:1].upper() + w[1:] for w in words)
    base = base[:200] or prefix
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


def _ref(logical: str) -> dict[str, str]:
    return {"Ref": logical}


def _pascal(value: Any) -> Any:
    """boto3's camelCase members → CloudFormation's PascalCase properties (AgentCore)."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


def _resource(kind: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Type": kind, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            **extra, "Properties": properties}


def _user_pool(aws: AwsContext, pool: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {"UserPoolName": pool["Name"]}
    properties.update({k: pool[k] for k in _POOL_KEYS if pool.get(k) not in (None, [], {})})
    schema = []
    for attribute in pool.get("SchemaAttributes") or []:
        name = attribute.get("Name", "")
        if name.startswith("custom:"):  # CloudFormation names custom attributes without the prefix
            schema.append({**attribute, "Name": name.removeprefix("custom:")})
        elif attribute.get("Required"):
            schema.append({k: v for k, v in attribute.items() if k in (
                "Name", "AttributeDataType", "Mutable", "Required", "StringAttributeConstraints")})
    if schema:
        properties["Schema"] = schema
    webauthn = (user_pools.get_mfa_config(aws, pool["Id"]).get("WebAuthnConfiguration") or {})
    if webauthn.get("RelyingPartyId"):
        properties["WebAuthnRelyingPartyID"] = webauthn["RelyingPartyId"]
    if webauthn.get("UserVerification"):
        properties["WebAuthnUserVerification"] = webauthn["UserVerification"]
    return properties


def _client(described: dict[str, Any], pool_ref: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"UserPoolId": _ref(pool_ref)}
    properties.update({k: described[k] for k in _CLIENT_KEYS if described.get(k) not in (None, [])})
    properties["GenerateSecret"] = app_clients.is_confidential(described)  # the value, never
    return properties


def _gateway(aws: AwsContext, gateway: dict[str, Any], pool: dict[str, Any], region: str,
             pool_ref: str, client_refs: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The gateway's properties (every field UpdateGateway keeps), and the fields left out."""
    fields = agentcore.update_params_of(aws, gateway)
    fields.pop("gatewayIdentifier", None)
    left_out = sorted(k for k in fields if k in _GATEWAY_NOT_IN_CLOUDFORMATION)
    properties = _pascal({k: v for k, v in fields.items() if k not in _GATEWAY_NOT_IN_CLOUDFORMATION})
    jwt = (properties.get("AuthorizerConfiguration") or {}).get("CustomJWTAuthorizer") or {}
    if jwt.get("DiscoveryUrl") == user_pools.discovery_url(pool, region):
        host = "issuer-cognito-idp" if "issuer-cognito-idp." in jwt["DiscoveryUrl"] else "cognito-idp"
        jwt["DiscoveryUrl"] = {"Fn::Sub": f"https://{host}.${{AWS::Region}}.${{AWS::URLSuffix}}/"
                                          f"${{{pool_ref}}}/.well-known/openid-configuration"}
    if jwt.get("AllowedClients"):
        jwt["AllowedClients"] = [_ref(client_refs[c]) if c in client_refs else c
                                 for c in jwt["AllowedClients"]]
    return properties, left_out


def build_export(aws: AwsContext, project: Project, pool_id: str | None = None,
                 gateway_id: str | None = None) -> Export:
    """Read the setup of `pool_id` (default: mcpauth.toml's) and describe it as a template."""
    pool_id = pool_id or project.user_pool_id
    if not pool_id:
        raise BadInput("no user pool: pass --pool-id or run `mcpauth init` first (mcpauth.toml)")
    region = aws.region_name
    pool = user_pools.describe_user_pool(aws, user_pools.check_pool_id(pool_id))
    taken: set[str] = set()
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    pool_ref = logical_id("UserPool", "", taken)
    resources[pool_ref] = _resource("AWS::Cognito::UserPool", _user_pool(aws, pool))
    outputs["UserPoolId"] = {"Value": _ref(pool_ref)}

    domain_name = pool.get("CustomDomain") or pool.get("Domain") or project.domain
    domain = domains.describe_domain(aws, domain_name) if domain_name else None
    if domain and domain.get("UserPoolId") == pool_id:
        properties: dict[str, Any] = {"UserPoolId": _ref(pool_ref), "Domain": domain["Domain"]}
        if (domain.get("CustomDomainConfig") or {}).get("CertificateArn"):
            properties["CustomDomainConfig"] = domain["CustomDomainConfig"]
        if domain.get("ManagedLoginVersion"):
            properties["ManagedLoginVersion"] = domain["ManagedLoginVersion"]
        resources[logical_id("LoginDomain", "", taken)] = _resource(
            "AWS::Cognito::UserPoolDomain", properties)

    server_refs = []
    for server in resource_servers.list_resource_servers(aws, pool_id):
        ref = logical_id("ResourceServer", server.get("Name") or server["Identifier"], taken)
        server_refs.append(ref)
        scopes = [{"ScopeName": s["ScopeName"],
                   "ScopeDescription": s.get("ScopeDescription") or s["ScopeName"]}
                  for s in server.get("Scopes") or []]
        resources[ref] = _resource("AWS::Cognito::UserPoolResourceServer", {
            "UserPoolId": _ref(pool_ref), "Identifier": server["Identifier"],
            "Name": server.get("Name") or server["Identifier"], **({"Scopes": scopes} if scopes else {})})

    client_refs: dict[str, str] = {}
    for summary in app_clients.list_clients(aws, pool_id):
        described = app_clients.describe_client(aws, pool_id, summary["ClientId"])
        ref = logical_id("Client", described.get("ClientName") or summary["ClientId"], taken)
        client_refs[summary["ClientId"]] = ref
        # custom scopes must exist before a client may be allowed them
        resources[ref] = _resource("AWS::Cognito::UserPoolClient", _client(described, pool_ref),
                                   **({"DependsOn": server_refs} if server_refs else {}))
        outputs[f"{ref}Id"] = {"Value": _ref(ref)}
        branding = app_clients.branding_of(aws, pool_id, summary["ClientId"])
        if branding is not None:
            style: dict[str, Any] = {"UserPoolId": _ref(pool_ref), "ClientId": _ref(ref)}
            if branding.get("Settings") and not branding.get("UseCognitoProvidedValues"):
                style["Settings"] = branding["Settings"]
            else:
                style["UseCognitoProvidedValues"] = True
            resources[logical_id("Branding", ref, taken)] = _resource(
                "AWS::Cognito::ManagedLoginBranding", style)

    gateway_id = gateway_id or project.gateway_id
    left_out: list[str] = []
    if gateway_id:
        gateway = agentcore.get_gateway(aws, gateway_id)
        gateway_ref = logical_id("Gateway", "", taken)
        properties, left_out = _gateway(aws, gateway, pool, region, pool_ref, client_refs)
        resources[gateway_ref] = _resource("AWS::BedrockAgentCore::Gateway", properties)
        outputs["GatewayUrl"] = {"Value": {"Fn::GetAtt": [gateway_ref, "GatewayUrl"]}}

    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Cognito sign-in for MCP, exported by mcpauth from user pool {pool_id} "
                       f"({region}). No secrets: clients with a secret get a new one when created.",
        "Metadata": {"mcpauth": {"source": {"region": region, "userPoolId": pool_id,
                                            "gatewayId": gateway_id},
                                 "clients": {ref: cid for cid, ref in client_refs.items()},
                                 **({"gatewayFieldsNotExported": left_out} if left_out else {})}},
        "Resources": resources,
        "Outputs": outputs,
    }
    return Export(template=template)
