"""What each finding code of the doctor means in practice: why it usually happens, how to fix
it (the mcpauth command the doctor names, the console path, the AWS CLI, the CDK property
where one exists) and the sources. Keyed by the codes of `findings.CODES` (a test keeps the two
key sets equal); `mcpauth explain` and the SARIF rules' help text are made from it.

Facts that hold for many codes, said once:
- UpdateUserPoolClient, UpdateUserPool, UpdateResourceServer and UpdateGateway replace the
  whole resource: a setting left out of the request is reset to its default. Every AWS CLI
  edit below therefore reads the resource first and sends all of it back with the change
  (mcpauth's own writes read, merge and write whole).
- A Cognito access token carries `client_id`, `scope` and `token_use: access`, and no `aud`
  unless the client sent `resource` (RFC 8707) to a pool that binds it; an ID token's `aud`
  is the client id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Source = tuple[str, str]  # (what it is, its URL)


@dataclass(frozen=True)
class Explanation:
    why: str  # the usual ways people cause it
    fix: str  # what to do, with the mcpauth command the doctor names
    console: str = ""  # where in the AWS console
    cli: tuple[str, ...] = ()  # AWS CLI commands, one per line ("# …" lines say what to do between)
    cdk: str = ""  # the CDK property that sets it, where one exists
    sources: tuple[Source, ...] = ()


# --- sources -------------------------------------------------------------------------------

_COG = "https://docs.aws.amazon.com/cognito/latest/developerguide/"
_COG_API = "https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/"
_AC = "https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/"
_AC_API = "https://docs.aws.amazon.com/bedrock-agentcore-control/latest/APIReference/"
_RFC = "https://www.rfc-editor.org/rfc/"

APP_CLIENTS = ("Amazon Cognito: app clients", _COG + "user-pool-settings-client-apps.html")
UPDATING = ("Amazon Cognito: updating user pool and app client configuration (a value left out "
            "is reset to its default)", _COG + "cognito-user-pool-updating.html")
UPDATE_CLIENT = ("Cognito API: UpdateUserPoolClient", _COG_API + "API_UpdateUserPoolClient.html")
RESOURCE_SERVERS = ("Amazon Cognito: scopes, M2M and resource servers",
                    _COG + "cognito-user-pools-define-resource-servers.html")
RESOURCE_BINDING = ("Amazon Cognito: resource binding (the resource parameter and aud)",
                    _COG + "cognito-user-pools-define-resource-servers.html#cognito-user-pools-resource-binding")
DOMAIN = ("Amazon Cognito: user pool domains", _COG + "cognito-user-pools-assign-domain.html")
MANAGED_LOGIN = ("Amazon Cognito: managed login", _COG + "cognito-user-pools-managed-login.html")
BRANDING = ("Amazon Cognito: managed login branding (styles)", _COG + "managed-login-branding.html")
AUTHORIZE = ("Amazon Cognito: the authorize endpoint", _COG + "authorization-endpoint.html")
TOKEN_ENDPOINT = ("Amazon Cognito: the token endpoint", _COG + "token-endpoint.html")
ACCESS_TOKEN = ("Amazon Cognito: the access token",
                _COG + "amazon-cognito-user-pools-using-the-access-token.html")
VERIFY_JWT = ("Amazon Cognito: verifying a JSON web token",
              _COG + "amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html")
FEATURE_PLANS = ("Amazon Cognito: feature plans (Lite, Essentials, Plus)",
                 _COG + "cognito-sign-in-feature-plans.html")
QUOTAS = ("Amazon Cognito: quotas", _COG + "quotas.html")
DCR = ("Amazon Cognito: dynamic client registration",
       _COG + "cognito-user-pools-dynamic-client-registration.html")
PASSKEYS = ("Amazon Cognito: authentication flows (passkeys, ALLOW_USER_AUTH)",
            _COG + "amazon-cognito-user-pools-authentication-flow-methods.html")
GATEWAY_JWT = ("Amazon Bedrock AgentCore: inbound JWT authorizer", _AC + "inbound-jwt-authorizer.html")
GATEWAY_JWT_API = ("AgentCore API: CustomJWTAuthorizerConfiguration",
                   _AC_API + "API_CustomJWTAuthorizerConfiguration.html")
UPDATE_GATEWAY = ("AgentCore API: UpdateGateway", _AC_API + "API_UpdateGateway.html")
GET_GATEWAY = ("AgentCore API: GetGateway", _AC_API + "API_GetGateway.html")
APIGW_NOTES = ("Amazon API Gateway: important notes (remapped headers)",
               "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html")
APIGW_RESPONSES = ("Amazon API Gateway: gateway responses",
                   "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html")
LAMBDA_URLS = ("AWS Lambda: function URLs", "https://docs.aws.amazon.com/lambda/latest/dg/lambda-urls.html")
CLI_CONFIG = ("AWS CLI: configuration and credentials",
              "https://docs.aws.amazon.com/cli/latest/userguide/cli-chap-configure.html")
ACCESS_DENIED = ("AWS IAM: troubleshooting access denied",
                 "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html")
MCP_AUTH = ("MCP specification 2025-11-25: authorization",
            "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization")
CIMD = ("OAuth client ID metadata document (IETF draft)",
        "https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/")
CORS = ("Fetch standard: the CORS protocol", "https://fetch.spec.whatwg.org/#http-cors-protocol")


def rfc(number: int, section: str = "", what: str = "") -> Source:
    label = f"RFC {number}" + (f" §{section}" if section else "") + (f" ({what})" if what else "")
    return label, f"{_RFC}rfc{number}" + (f"#section-{section}" if section else "")


# --- shared wording --------------------------------------------------------------------------

REPLACES_CLIENT = ("UpdateUserPoolClient replaces the whole app client: a setting left out of "
                   "the request (callback URLs, scopes, flows, identity providers, token "
                   "validity, …) is reset to its default, so send the full description back")
REPLACES_GATEWAY = ("UpdateGateway takes the gateway whole (name, roleArn, protocolType, "
                    "authorizerType are required): send back every field get-gateway shows, "
                    "changing only the authorizer")
CLIENT_CONSOLE = ("Amazon Cognito console → User pools → your pool → App clients → the client → "
                  "Login pages → Edit managed login pages configuration")
GATEWAY_CONSOLE = ("Amazon Bedrock AgentCore console → Gateways → your gateway → Edit → inbound "
                   "auth (JWT): discovery URL, allowed clients, audiences and scopes")
DISCOVERY_URL = "https://cognito-idp.REGION.amazonaws.com/POOL_ID/.well-known/openid-configuration"


def _client_cli(change: str) -> tuple[str, ...]:
    return (
        "aws cognito-idp describe-user-pool-client --user-pool-id POOL_ID --client-id CLIENT_ID "
        "--query UserPoolClient > client.json",
        f"# in client.json: {change}; delete the keys the update does not take (ClientSecret, "
        "CreationDate, LastModifiedDate)",
        "aws cognito-idp update-user-pool-client --cli-input-json file://client.json",
        f"# {REPLACES_CLIENT}",
    )


def _gateway_cli(change: str) -> tuple[str, ...]:
    return (
        "aws bedrock-agentcore-control get-gateway --gateway-identifier GATEWAY_ID",
        "aws bedrock-agentcore-control update-gateway --gateway-identifier GATEWAY_ID --name NAME "
        "--role-arn ROLE_ARN --protocol-type MCP --authorizer-type CUSTOM_JWT "
        "--authorizer-configuration file://authorizer.json",
        f"# authorizer.json: {{\"customJWTAuthorizer\": {{…}}}} as get-gateway shows it, with {change}",
        f"# {REPLACES_GATEWAY}",
    )


CDK_GATEWAY = ("AgentCore Gateway (aws-cdk-lib aws_bedrockagentcore): authorizerConfiguration: "
               "GatewayAuthorizer.usingCustomJwt({ discoveryUrl, allowedClients, allowedAudience, "
               "allowedScopes }); L1 CfnGateway: authorizerType: 'CUSTOM_JWT', "
               "authorizerConfiguration: { customJwtAuthorizer: { … } }")
_DOCTOR_LIMIT = ("This is about the doctor's own run, not the setup: what the affected checks "
                 "would have said is unknown, and the platforms that depend on them are "
                 "reported as unknown.")


EXPLANATIONS: dict[str, Explanation] = {
    # --- AWS access --------------------------------------------------------------------------
    "AWS_CREDENTIALS": Explanation(
        why="The doctor found no AWS credentials or region: no AWS_PROFILE, an expired SSO "
            "session, a CI job without a role, or a region nowhere set. The HTTP checks still "
            "run, like an MCP client's; the AWS checks (pool, clients, gateway) are skipped, so "
            "a symptom is named without its configuration cause.",
        fix="Give the doctor read access: set AWS_PROFILE / run `aws sso login` (or pass "
            "--profile and --region), then run `mcpauth doctor` again.",
        cli=("aws sso login --profile PROFILE", "aws sts get-caller-identity --profile PROFILE"),
        sources=(CLI_CONFIG,)),
    "AWS_UNREACHABLE": Explanation(
        why="An AWS call got no answer: a wrong AWS_ENDPOINT_URL / --endpoint-url (a sandbox "
            "that is not running), a proxy or firewall in the way, no network, or a region "
            "name with a typo. " + _DOCTOR_LIMIT,
        fix="Check the endpoint, the region and the credential source the finding names "
            "(AWS_ENDPOINT_URL, --endpoint-url, AWS_REGION, --region, AWS_PROFILE, `aws sso "
            "login`), then run the doctor again.",
        cli=("aws sts get-caller-identity --region REGION",),
        sources=(CLI_CONFIG,)),
    "AWS_CALL_FAILED": Explanation(
        why="AWS answered but refused a read the doctor needs, most often AccessDenied: a "
            "role without cognito-idp Describe*/List*/Get* or bedrock-agentcore GetGateway, a "
            "permission boundary or SCP, or the wrong account or region. " + _DOCTOR_LIMIT,
        fix="Grant the credentials read access (cognito-idp Describe*/List*/Get*, "
            "bedrock-agentcore GetGateway) and check the account and region, then run the "
            "doctor again.",
        cli=("aws sts get-caller-identity",
             "aws cognito-idp describe-user-pool --user-pool-id POOL_ID"),
        sources=(ACCESS_DENIED, CLI_CONFIG)),
    # --- the user pool ---------------------------------------------------------------------
    "COGNITO_POOL_NOT_FOUND": Explanation(
        why="The user pool id is not in that region: a pool id from another region (the id "
            "starts with its region, e.g. us-east-1_…), another account's credentials, a typo, "
            "or a pool deleted and re-created (a new pool has a new id).",
        fix="Check --pool-id and --region (or mcpauth.toml), or run `mcpauth init` to set "
            "up a pool.",
        console="Amazon Cognito console → User pools (in the pool's region)",
        cli=("aws cognito-idp list-user-pools --max-results 60 --region REGION",),
        sources=(("Cognito API: DescribeUserPool", _COG_API + "API_DescribeUserPool.html"),)),
    "COGNITO_NO_DOMAIN": Explanation(
        why="The pool has no login domain, so it has no authorize, token or login endpoints "
            "and no OAuth discovery beyond its issuer: pools made with the API or CloudFormation "
            "get none unless one is added, and deleting the domain removes them.",
        fix="`mcpauth init` (asks for a domain prefix), or add a prefix domain with managed "
            "login yourself.",
        console="Amazon Cognito console → User pools → your pool → Branding → Domain → "
                "Create Cognito domain",
        cli=("aws cognito-idp create-user-pool-domain --user-pool-id POOL_ID --domain PREFIX "
             "--managed-login-version 2",),
        cdk="UserPool.addDomain('Login', { cognitoDomain: { domainPrefix: 'PREFIX' }, "
            "managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN })",
        sources=(DOMAIN, MANAGED_LOGIN)),
    "COGNITO_DOMAIN_NOT_ACTIVE": Explanation(
        why="The login domain exists but its status is not ACTIVE: it was created moments ago "
            "(a prefix domain takes about a minute; a custom domain longer, while its "
            "certificate and distribution are set up), it is being updated or deleted, or its "
            "creation FAILED (e.g. a custom domain whose certificate is not in us-east-1).",
        fix="Wait a minute and run the doctor again; if the status is FAILED, delete the "
            "domain and create it again.",
        console="Amazon Cognito console → User pools → your pool → Branding → Domain",
        cli=("aws cognito-idp describe-user-pool-domain --domain PREFIX_OR_CUSTOM_DOMAIN",),
        sources=(DOMAIN,)),
    "COGNITO_BRANDING_MISSING": Explanation(
        why="The domain serves managed login (version 2), which shows a login page only to "
            "app clients that have a style: a client created after the domain, by the API or "
            "by a template without a branding resource, shows 'Login pages unavailable'.",
        fix="`mcpauth doctor --fix` creates a style with Cognito's defaults for the client.",
        console="Amazon Cognito console → User pools → your pool → Branding → Managed login → "
                "Create a style, for the app client",
        cli=("aws cognito-idp create-managed-login-branding --user-pool-id POOL_ID --client-id "
             "CLIENT_ID --use-cognito-provided-values",),
        cdk="new cognito.CfnManagedLoginBranding(this, 'Style', { userPoolId, clientId, "
            "useCognitoProvidedValues: true })",
        sources=(BRANDING, MANAGED_LOGIN)),
    "COGNITO_PASSKEY_INCOMPLETE": Explanation(
        why="Passkeys are a first sign-in factor of the pool (WEB_AUTHN in the sign-in "
            "policy) but a piece they need is missing: the domain is not managed login "
            "version 2, the relying party id is not the login domain's host, or the app "
            "client lacks ALLOW_USER_AUTH (choice-based sign-in). Users then get no passkey "
            "option, or a passkey registered for another host.",
        fix="`mcpauth init --passkeys` sets the relying party, managed login and "
            "ALLOW_USER_AUTH (`mcpauth doctor --fix` plans the same).",
        console="Amazon Cognito console → User pools → your pool → Authentication → Sign-in "
                "(passkey, relying party); the app client's authentication flows "
                "(choice-based sign-in)",
        cli=("aws cognito-idp get-user-pool-mfa-config --user-pool-id POOL_ID",
             "aws cognito-idp set-user-pool-mfa-config --user-pool-id POOL_ID "
             "--web-authn-configuration RelyingPartyId=LOGIN_HOST,UserVerification=preferred",
             "# pass the MFA settings get-user-pool-mfa-config shows too; for the client, "
             "add ALLOW_USER_AUTH to ExplicitAuthFlows:",
             *_client_cli("add ALLOW_USER_AUTH to ExplicitAuthFlows")),
        cdk="UserPool: signInPolicy: { allowedFirstAuthFactors: { password: true, passkey: "
            "true } }, passkeyRelyingPartyId: 'LOGIN_HOST'; UserPoolClient: authFlows: { "
            "user: true }",
        sources=(PASSKEYS, MANAGED_LOGIN, FEATURE_PLANS)),
    # --- app clients ----------------------------------------------------------------------
    "COGNITO_CLIENT_NOT_FOUND": Explanation(
        why="The client id is not in the pool: the client was deleted in the console or by "
            "a stack, re-created (a new client has a new id) while mcpauth.toml, a platform's "
            "settings or the gateway's allowedClients kept the old one, or the id belongs to "
            "another pool.",
        fix="Check the client id (--client-id, mcpauth.toml), or run `mcpauth init` to "
            "create the platform's client again and update where the old id was used.",
        console="Amazon Cognito console → User pools → your pool → App clients",
        cli=("aws cognito-idp list-user-pool-clients --user-pool-id POOL_ID --max-results 60",),
        sources=(APP_CLIENTS,)),
    "COGNITO_CLIENT_OAUTH_DISABLED": Explanation(
        why="AllowedOAuthFlowsUserPoolClient is false, so the client may not use the "
            "authorize endpoint at all: clients made for SDK sign-in (SRP, passwords) have it "
            "off, and an UpdateUserPoolClient call that left it out reset it to false.",
        fix="`mcpauth add-callback PLATFORM --client-id CLIENT_ID --enable-code-flow` (or "
            "`mcpauth doctor --fix`) switches the OAuth flows on with the code grant.",
        console=CLIENT_CONSOLE + " → OAuth 2.0 grant types: Authorization code grant",
        cli=_client_cli("set AllowedOAuthFlowsUserPoolClient to true and AllowedOAuthFlows to "
                        "[\"code\"]"),
        cdk="UserPoolClient: oAuth: { flows: { authorizationCodeGrant: true }, … } and "
            "disableOAuth left false",
        sources=(APP_CLIENTS, UPDATING, UPDATE_CLIENT)),
    "COGNITO_CLIENT_NO_CODE_FLOW": Explanation(
        why="The client's AllowedOAuthFlows lacks `code`: it was set up for the implicit "
            "grant only, or an update replaced the list. MCP clients use the authorization "
            "code grant with PKCE, so Cognito refuses their authorize request "
            "(unauthorized_client).",
        fix="`mcpauth add-callback PLATFORM --client-id CLIENT_ID --enable-code-flow` (or "
            "`mcpauth doctor --fix`); for FastMCP's proxy client, `mcpauth init --server "
            "fastmcp-proxy`.",
        console=CLIENT_CONSOLE + " → OAuth 2.0 grant types: Authorization code grant",
        cli=_client_cli("add \"code\" to AllowedOAuthFlows and set "
                        "AllowedOAuthFlowsUserPoolClient to true"),
        cdk="UserPoolClient: oAuth: { flows: { authorizationCodeGrant: true } }",
        sources=(APP_CLIENTS, AUTHORIZE, rfc(7636, "4", "PKCE"))),
    "COGNITO_CLIENT_M2M_ONLY": Explanation(
        why="The client allows client_credentials: it is a machine-to-machine client, made "
            "for a service, and Cognito does not let client_credentials share a client with "
            "the code grant. It cannot sign a person in, and its token requests are billed "
            "as M2M.",
        fix="Use a sign-in client for the platform: `mcpauth init` makes one (code grant, "
            "the platform's callback URL, the resource scope).",
        console="Amazon Cognito console → User pools → your pool → App clients → Create app "
                "client (a public or confidential client, not machine-to-machine)",
        cdk="a second UserPoolClient with oAuth: { flows: { authorizationCodeGrant: true } } "
            "instead of clientCredentials",
        sources=(APP_CLIENTS, RESOURCE_SERVERS, FEATURE_PLANS)),
    "COGNITO_CLIENT_NO_IDP": Explanation(
        why="SupportedIdentityProviders is empty, so the client has nobody to sign users in "
            "with and Cognito serves no login page: the console's default for some client "
            "types, or an UpdateUserPoolClient call that left the list out.",
        fix="`mcpauth doctor --fix` (adds COGNITO, the pool's own users).",
        console=CLIENT_CONSOLE + " → Identity providers: Cognito user pool directory",
        cli=_client_cli("set SupportedIdentityProviders to [\"COGNITO\"] (and keep any "
                        "federated providers)"),
        cdk="UserPoolClient: supportedIdentityProviders: "
            "[UserPoolClientIdentityProvider.COGNITO]",
        sources=(APP_CLIENTS, UPDATING, UPDATE_CLIENT)),
    "COGNITO_CALLBACK_MISSING": Explanation(
        why="The redirect URI a platform sends is not among the client's CallbackURLs, and "
            "Cognito matches them exactly: a URL added with a typo, a trailing slash or the "
            "wrong port, a platform added later, a loopback port that changed (Claude Code, "
            "VS Code, mcp-remote), or an UpdateUserPoolClient call that replaced the list. "
            "Every sign-in from that platform ends in redirect_mismatch.",
        fix="`mcpauth add-callback PLATFORM --client-id CLIENT_ID` (with --port N for a "
            "loopback platform, --url URL for ChatGPT's per-connector URL), or "
            "`mcpauth doctor --fix`; for FastMCP's proxy, `mcpauth init --base-url URL`.",
        console=CLIENT_CONSOLE + " → Allowed callback URLs",
        cli=_client_cli("add the platform's URL to CallbackURLs"),
        cdk="UserPoolClient: oAuth: { callbackUrls: ['https://…'] }",
        sources=(APP_CLIENTS, UPDATING, UPDATE_CLIENT, AUTHORIZE, rfc(6749, "3.1.2"))),
    "COGNITO_CALLBACK_NEAR_MISS": Explanation(
        why="A registered callback URL differs from the one the platform sends only by a "
            "trailing slash, the host (localhost vs 127.0.0.1), the scheme or the port. "
            "Cognito compares callback URLs character by character, so it does not count.",
        fix="Register the exact URL: `mcpauth add-callback PLATFORM --client-id CLIENT_ID` "
            "(FastMCP's proxy: `mcpauth init --base-url URL`); remove the near miss with "
            "`mcpauth remove-callback` once nothing uses it.",
        console=CLIENT_CONSOLE + " → Allowed callback URLs",
        cli=_client_cli("put the exact URL in CallbackURLs"),
        cdk="UserPoolClient: oAuth: { callbackUrls: ['https://…'] }",
        sources=(APP_CLIENTS, AUTHORIZE, UPDATE_CLIENT)),
    "COGNITO_CLIENT_SECRET_ON_PUBLIC_PLATFORM": Explanation(
        why="The client has a secret, but the platform is usually set up as a public client "
            "(Inspector, Claude Code, VS Code, …) and sends none; Cognito then refuses the "
            "token request with invalid_client. Common when one confidential client is "
            "shared by every platform.",
        fix="Enter the client secret in the platform (`mcpauth show --reveal` prints it), "
            "or give the platform a public client (`mcpauth init`; a client's secret cannot "
            "be removed, only a new client made without one).",
        console="Amazon Cognito console → User pools → your pool → App clients → Create app "
                "client → Public client",
        cdk="UserPoolClient: generateSecret: false",
        sources=(APP_CLIENTS, TOKEN_ENDPOINT)),
    # --- resource server and scopes ---------------------------------------------------------
    "COGNITO_RESOURCE_SERVER_MISSING": Explanation(
        why="No resource server's identifier is exactly the MCP URL (or it lacks the scope): "
            "MCP clients ask for the scope the server advertises, `<MCP URL>/invoke`, which "
            "exists only when a resource server has that identifier. It was never made, was "
            "made for another URL (a stage, a new gateway), or was deleted. Cognito answers "
            "invalid_scope.",
        fix="`mcpauth doctor --fix` (or `mcpauth init`) creates it with the scope and allows "
            "the scope on the clients.",
        console="Amazon Cognito console → User pools → your pool → Branding → Domain → "
                "Resource servers → Create resource server (identifier: the MCP URL)",
        cli=("aws cognito-idp create-resource-server --user-pool-id POOL_ID --identifier "
             "MCP_URL --name mcp --scopes ScopeName=invoke,ScopeDescription=\"call tools\"",
             "# a resource server without the scope: update-resource-server with --name and "
             "every scope (it replaces the list)"),
        cdk="UserPool.addResourceServer('Mcp', { identifier: 'MCP_URL', scopes: [new "
            "ResourceServerScope({ scopeName: 'invoke', scopeDescription: 'call tools' })] })",
        sources=(RESOURCE_SERVERS, AUTHORIZE, rfc(6749, "4.1.2.1", "invalid_scope"))),
    "COGNITO_RESOURCE_SERVER_NEAR_MISS": Explanation(
        why="A resource server's identifier differs from the MCP URL only by a trailing slash "
            "or a /mcp path, so its scope strings (`<identifier>/invoke`) are not the ones "
            "clients ask for.",
        fix="Make one whose identifier is exactly the MCP URL (`mcpauth init`); an "
            "identifier cannot be changed, only a new resource server made.",
        console="Amazon Cognito console → User pools → your pool → Branding → Domain → "
                "Resource servers",
        cli=("aws cognito-idp list-resource-servers --user-pool-id POOL_ID --max-results 50",
             "aws cognito-idp create-resource-server --user-pool-id POOL_ID --identifier "
             "MCP_URL --name mcp --scopes ScopeName=invoke,ScopeDescription=\"call tools\""),
        cdk="UserPool.addResourceServer('Mcp', { identifier: 'MCP_URL', scopes: [...] })",
        sources=(RESOURCE_SERVERS,)),
    "COGNITO_SCOPE_NOT_ALLOWED": Explanation(
        why="The client's AllowedOAuthScopes lacks a scope it is asked for (the resource "
            "scope `<MCP URL>/invoke`, or `openid` for FastMCP's proxy): a client made before "
            "the resource server, or an update that replaced the list. Cognito answers "
            "invalid_scope.",
        fix="`mcpauth doctor --fix` (or `mcpauth init`) allows it; FastMCP's proxy client: "
            "`mcpauth init --server fastmcp-proxy`.",
        console=CLIENT_CONSOLE + " → Custom scopes (and OpenID Connect scopes)",
        cli=_client_cli("add the scope to AllowedOAuthScopes"),
        cdk="UserPoolClient: oAuth: { scopes: [OAuthScope.OPENID, "
            "OAuthScope.resourceServer(resourceServer, invokeScope)] }",
        sources=(RESOURCE_SERVERS, APP_CLIENTS, UPDATE_CLIENT)),
    # --- the gateway ------------------------------------------------------------------------
    "GATEWAY_NOT_FOUND": Explanation(
        why="The gateway id is not in that region or account: a typo, another region, or a "
            "gateway deleted and re-created (a new id, and a new MCP URL).",
        fix="Check --gateway-id and --region (or mcpauth.toml).",
        console="Amazon Bedrock AgentCore console → Gateways",
        cli=("aws bedrock-agentcore-control list-gateways --region REGION",),
        sources=(GET_GATEWAY,)),
    "GATEWAY_NOT_JWT": Explanation(
        why="The gateway's inbound authorizer is not CUSTOM_JWT (AWS_IAM, or none), so it "
            "asks MCP clients for no OAuth token, serves no challenge nor protected-resource "
            "metadata, and clients cannot sign in: the gateway was made with IAM auth, or an "
            "update switched it.",
        fix="`mcpauth doctor --fix` (or `mcpauth init`) sets a CUSTOM_JWT authorizer that "
            "trusts the pool.",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli(f"discoveryUrl {DISCOVERY_URL}, allowedClients and allowedScopes"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, GATEWAY_JWT_API, UPDATE_GATEWAY)),
    "GATEWAY_DISCOVERY_URL_MISMATCH": Explanation(
        why="authorizerConfiguration.customJWTAuthorizer.discoveryUrl names another pool (or "
            "region) than the one the clients sign in with: copied from another stack, or "
            "the pool was re-created. The gateway then refuses every token of this pool (its "
            "issuer and keys differ).",
        fix="`mcpauth doctor --fix --allow-breaking` points it at this pool ("
            f"{DISCOVERY_URL}); the pool it trusted now is cut off, so --fix asks for "
            "--allow-breaking.",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli(f"discoveryUrl set to {DISCOVERY_URL}"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, GATEWAY_JWT_API, VERIFY_JWT)),
    "GATEWAY_CLIENT_NOT_ALLOWED": Explanation(
        why="The gateway checks each token's client_id claim against allowedClients, and "
            "this client is not listed: a platform added after the gateway, or a client "
            "re-created with a new id. Its tokens get 401.",
        fix="`mcpauth doctor --fix` adds it.",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("the client id added to allowedClients"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, GATEWAY_JWT_API, ACCESS_TOKEN)),
    "GATEWAY_AUDIENCE_UNMATCHABLE": Explanation(
        why="allowedAudience holds only values no Cognito access token carries, most often a "
            "client id (that is an ID token's aud). A Cognito access token has no aud, or, "
            "with resource binding, the resource the client sent (the MCP URL). Every token "
            "gets 401.",
        fix="`mcpauth doctor --fix` removes it (or set allowedAudience to the MCP URL, with "
            "a pool that binds resources).",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("allowedAudience removed, or set to [\"MCP_URL\"]"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, ACCESS_TOKEN, RESOURCE_BINDING, rfc(8707, "2"))),
    "GATEWAY_AUDIENCE_NEEDS_BINDING": Explanation(
        why="allowedAudience requires aud = the MCP URL, which a Cognito access token carries "
            "only when the client sent resource=<MCP URL> to a pool that binds it (the "
            "Essentials or Plus feature plan, with managed login). This pool cannot, so no "
            "token has that aud.",
        fix="Move the pool to ESSENTIALS with managed login (`mcpauth init --upgrade-tier`), "
            "or remove allowedAudience (`mcpauth init --no-gateway-audience`).",
        console="Amazon Cognito console → User pools → your pool → Settings → Feature plan; "
                "or " + GATEWAY_CONSOLE,
        cli=("aws cognito-idp describe-user-pool --user-pool-id POOL_ID --query "
             "UserPool.UserPoolTier",
             "# UpdateUserPool resets what it is not sent: change the tier with every other "
             "setting (mcpauth does)",
             *_gateway_cli("allowedAudience removed")),
        cdk="UserPool: featurePlan: FeaturePlan.ESSENTIALS; or drop allowedAudience from the "
            "gateway's authorizer",
        sources=(RESOURCE_BINDING, FEATURE_PLANS, GATEWAY_JWT, rfc(8707, "2"))),
    "GATEWAY_AUDIENCE_NO_RESOURCE": Explanation(
        why="The gateway requires aud = the MCP URL, and this platform is not known to send "
            "the resource parameter (RFC 8707): its tokens may carry no aud and get 401.",
        fix="Check that the client sends resource, or remove allowedAudience "
            "(`mcpauth init --no-gateway-audience`).",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("allowedAudience removed"),
        cdk=CDK_GATEWAY,
        sources=(RESOURCE_BINDING, rfc(8707, "2"), MCP_AUTH)),
    "GATEWAY_SCOPE_SHORT_NAME": Explanation(
        why="allowedScopes holds a short name (`invoke`) where Cognito tokens carry the full "
            "scope string `<resource server identifier>/invoke`, so every call gets 403. The "
            "gateway also advertises allowedScopes in its challenge, so clients ask Cognito "
            "for `invoke`, which does not exist (invalid_scope).",
        fix="`mcpauth doctor --fix` writes the full scope strings.",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("allowedScopes set to [\"MCP_URL/invoke\"]"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, GATEWAY_JWT_API, RESOURCE_SERVERS)),
    "GATEWAY_SHUTS_OUT_REGISTERED": Explanation(
        why="Clients register themselves (dynamic client registration), so their client ids "
            "are new each time; a gateway with allowedClients admits only the ids listed and "
            "refuses every registered client's token with 401.",
        fix="Trust by scope (allowedScopes) and, where clients send resource, by audience, "
            "instead of a client list: `mcpauth init --registration dcr`.",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("allowedClients removed and allowedScopes set to [\"MCP_URL/invoke\"]"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, DCR)),
    # --- registration -----------------------------------------------------------------------
    "REGISTRATION_REQUIRED_OFF": Explanation(
        why="mcpauth.toml records platforms that register themselves, and dynamic client "
            "registration on the pool is off: typically a script's from-scratch "
            "UpdateUserPool call, which resets every member it does not send (DcrConfiguration "
            "among them). Those platforms get no client id and cannot sign in.",
        fix="`mcpauth doctor --fix` (or `mcpauth init --registration dcr`) turns it back on.",
        console="Amazon Cognito console → User pools → your pool → dynamic client "
                "registration settings",
        cli=("aws cognito-idp describe-user-pool --user-pool-id POOL_ID --query "
             "UserPool.DcrConfiguration",
             "# UpdateUserPool replaces the pool's settings: send every setting back with "
             "--dcr-configuration EnableStatus=Enabled,… (mcpauth does)"),
        cdk="CfnUserPool: dcrConfiguration: { enableStatus: 'Enabled', openDcrEnabled: true, "
            "openDcrGrantTypes: ['code'], allowedScopes: ['MCP_URL/invoke'] } "
            "(AWS::Cognito::UserPool DcrConfiguration)",
        sources=(DCR, UPDATING)),
    "REGISTRATION_OFF": Explanation(
        why="Dynamic client registration is off (the default): MCP clients that register "
            "themselves (Claude, VS Code, Cursor, …) find no registration_endpoint and need "
            "a client id given to them. That is fine when every platform has a "
            "pre-registered client, as `mcpauth init` makes.",
        fix="Nothing, with pre-registered clients; to let clients register: "
            "`mcpauth init --registration dcr` (or `both`).",
        cdk="CfnUserPool: dcrConfiguration (AWS::Cognito::UserPool DcrConfiguration)",
        sources=(DCR, MCP_AUTH)),
    "REGISTRATION_TIER": Explanation(
        why="Registration is on but the pool is on the Lite feature plan; dynamic client "
            "registration needs Essentials or Plus.",
        fix="`mcpauth init --registration dcr` (asks before upgrading the tier; "
            "--upgrade-tier says yes).",
        console="Amazon Cognito console → User pools → your pool → Settings → Feature plan",
        cdk="UserPool: featurePlan: FeaturePlan.ESSENTIALS",
        sources=(DCR, FEATURE_PLANS)),
    "REGISTRATION_AUTHENTICATED_ONLY": Explanation(
        why="Registration is on, but only authenticated: a registering client must send an "
            "initial access token with the aws.cognito/dcr/register scope. MCP clients "
            "(Claude, VS Code, Cursor, …) have no way to get one, so none of them can "
            "register.",
        fix="`mcpauth init --registration dcr` turns on open registration for the code "
            "grant only.",
        cdk="CfnUserPool: dcrConfiguration: { openDcrEnabled: true, openDcrGrantTypes: "
            "['code'] }",
        sources=(DCR, rfc(7591, "3"))),
    "REGISTRATION_OPEN_M2M": Explanation(
        why="Open registration allows client_credentials: anyone who can reach the "
            "registration endpoint can create machine-to-machine clients, whose token "
            "requests are billed to you.",
        fix="`mcpauth init --registration dcr` keeps open registration to the code grant.",
        cdk="CfnUserPool: dcrConfiguration: { openDcrGrantTypes: ['code'] }",
        sources=(DCR, FEATURE_PLANS)),
    "REGISTRATION_SCOPE_NOT_ALLOWED": Explanation(
        why="DcrConfiguration's AllowedScopes lacks the resource scope, so registered "
            "clients may ask only for the OIDC scopes: their tokens lack the scope the server "
            "requires and get refused.",
        fix="`mcpauth init --registration dcr` adds the resource scopes to AllowedScopes.",
        cdk="CfnUserPool: dcrConfiguration: { allowedScopes: ['MCP_URL/invoke'] }",
        sources=(DCR, RESOURCE_SERVERS)),
    "REGISTRATION_QUOTA_NEAR": Explanation(
        why="The pool holds 80% or more of its app clients quota (1,000 per pool by "
            "default), and registered clients count toward it: every MCP client that "
            "registers adds one, and few are ever deleted. At the limit nobody (MCP client or "
            "you) can add one.",
        fix="`mcpauth clients prune --registered --older-than 30d` deletes old registered "
            "clients; or ask for a higher quota.",
        console="Amazon Cognito console → User pools → your pool → App clients",
        cli=("aws cognito-idp list-user-pool-clients --user-pool-id POOL_ID --max-results 60",),
        sources=(QUOTAS, DCR)),
    "REGISTRATION_NO_LOGIN_PAGE": Explanation(
        why="A client that registered itself reaches no login page: with managed login "
            "(version 2) a client needs a style, and a registered client has none unless one "
            "is made for it, so its sign-in shows 'Login pages unavailable'.",
        fix="Give each registered client a style (`mcpauth clients style CLIENT_ID`), or use "
            "the classic hosted UI (ManagedLoginVersion 1) for the domain.",
        cli=("aws cognito-idp create-managed-login-branding --user-pool-id POOL_ID --client-id "
             "CLIENT_ID --use-cognito-provided-values",),
        sources=(BRANDING, MANAGED_LOGIN, DCR)),
    "REGISTRATION_PROBE_FAILED": Explanation(
        why="`--probe-registration` registered a client the way an MCP client does, or sent "
            "its authorize request, and it failed: the metadata names no "
            "registration_endpoint, the registration was refused, or Cognito refused the "
            "authorize request. The registration findings beside it usually say why.",
        fix="See the registration findings in the same report; the evidence holds the "
            "answer the registration endpoint gave.",
        sources=(DCR, rfc(7591, "3.2.2", "registration error"))),
    "REGISTRATION_ANSWER_FOREIGN_CLIENT": Explanation(
        why="A registration answer named an app client this run did not create (a regular "
            "client, or one older than the run): the registration endpoint the metadata "
            "names is misconfigured or hostile. The doctor deleted and changed nothing.",
        fix="Check which registration endpoint the server's metadata names; do not point MCP "
            "clients at it until it is the pool's own.",
        sources=(DCR, rfc(8414, "2"))),
    "REGISTRATION_CLIENT_LEFT": Explanation(
        why="A client the doctor registered could not be proven its own in AWS (no AWS "
            "access, or its marks did not match), so the doctor left it rather than risk "
            "deleting someone else's.",
        fix="If it is the doctor's, delete it with the command the finding names "
            "(`aws cognito-idp delete-user-pool-client …`).",
        cli=("aws cognito-idp delete-user-pool-client --user-pool-id POOL_ID --client-id "
             "CLIENT_ID",),
        sources=(DCR,)),
    # --- the MCP server's challenge and metadata --------------------------------------------
    "MCP_UNREACHABLE": Explanation(
        why="The MCP URL did not answer: DNS, TCP, TLS or a timeout; a wrong or old URL (a "
            "gateway re-created gets a new one), a server that is down, a VPC-only endpoint, "
            "or a proxy in the way.",
        fix="Check the URL, DNS and that the server is running (`curl -i MCP_URL`).",
        sources=(MCP_AUTH,)),
    "MCP_NOT_PROTECTED": Explanation(
        why="initialize succeeds without a token: no authorizer in front of the server (a "
            "gateway without inbound auth, a Lambda URL with auth NONE and no check in the "
            "code). Anyone who knows the URL can call its tools.",
        fix="Put an authorizer in front (e.g. `mcpauth init` for a gateway).",
        sources=(MCP_AUTH, rfc(6750, "3"))),
    "MCP_NO_CHALLENGE": Explanation(
        why="The server answered an unauthenticated request without 401 + "
            "`WWW-Authenticate: Bearer`: MCP clients start sign-in only on that challenge. "
            "Common causes: an authorizer that answers 403, a framework's error page, or a "
            "gateway whose inbound auth is not JWT.",
        fix="Answer unauthenticated requests with 401 and a Bearer challenge naming "
            "resource_metadata.",
        sources=(rfc(6750, "3"), rfc(9728, "5.1"), MCP_AUTH)),
    "MCP_CHALLENGE_REMAPPED": Explanation(
        why="API Gateway (REST API with a Lambda proxy integration) renames some response "
            "headers a backend returns, WWW-Authenticate among them, to "
            "x-amzn-Remapped-WWW-Authenticate: clients see a 401 without a challenge and "
            "never start sign-in.",
        fix="Return WWW-Authenticate from API Gateway: a gateway response or a method / "
            "integration response header mapping (method.response.header.WWW-Authenticate = "
            "integration.response.header.WWW-Authenticate), or serve the MCP server from a "
            "Lambda Function URL.",
        console="API Gateway console → your API → Gateway responses (or the method's "
                "integration response header mappings) → redeploy the stage",
        sources=(APIGW_NOTES, APIGW_RESPONSES, LAMBDA_URLS, rfc(6750, "3"))),
    "MCP_NO_RESOURCE_METADATA": Explanation(
        why="The 401 challenge has no resource_metadata parameter: clients fall back to the "
            "well-known URL, which some (MCP Inspector v1) only use, and which fails for a "
            "server whose metadata lives elsewhere.",
        fix="Add resource_metadata=\"…/.well-known/oauth-protected-resource\" to the "
            "WWW-Authenticate challenge.",
        sources=(rfc(9728, "5.1"), MCP_AUTH)),
    "PRM_NOT_FOUND": Explanation(
        why="No protected-resource metadata (RFC 9728) at the challenge's resource_metadata "
            "URL, the path-inserted well-known URL, nor the root one: a server that does not "
            "serve it, a path mismatch behind a proxy, or a gateway whose inbound auth is not "
            "JWT. Clients that follow the MCP specification stop at the first URL that "
            "fails.",
        fix="Serve /.well-known/oauth-protected-resource (RFC 9728), and make the "
            "challenge's resource_metadata name the URL that answers.",
        sources=(rfc(9728, "3"), rfc(9728, "5.1"), MCP_AUTH)),
    "PRM_INVALID": Explanation(
        why="The protected-resource metadata is not usable: not JSON, too large, without "
            "authorization_servers, or with an entry that is not an http(s) URL.",
        fix="Return small JSON with `resource` and `authorization_servers` (the issuer URL, "
            "https://…) (RFC 9728 §2).",
        sources=(rfc(9728, "2"), MCP_AUTH)),
    "PRM_RESOURCE_MISMATCH": Explanation(
        why="The metadata's `resource` is not the URL clients use (nor a path ancestor of "
            "it): a stage or path left out, a trailing slash, an http/https difference, or "
            "metadata copied from another server. RFC 9728 §3.3 requires it to be identical, "
            "and spec-compliant clients refuse it and do not sign in.",
        fix="Make `resource` equal to the MCP URL clients use.",
        sources=(rfc(9728, "3.3"), MCP_AUTH)),
    "PRM_NO_SCOPES": Explanation(
        why="Neither the challenge (scope=) nor the metadata (scopes_supported) names a "
            "scope, so clients ask for none (or for every scope the authorization server "
            "lists, which Cognito may refuse) and tokens lack the resource scope.",
        fix="Advertise the scope: scopes_supported in the metadata and scope= in the "
            "challenge (for a gateway: `mcpauth init --gateway-allowed-scopes`).",
        cdk=CDK_GATEWAY + " (allowedScopes is what the gateway advertises)",
        sources=(rfc(9728, "2"), rfc(6750, "3"), MCP_AUTH)),
    "AS_METADATA_NOT_FOUND": Explanation(
        why="No authorization server metadata answered for the issuer the protected-resource "
            "metadata names, or it lacks an authorize / token endpoint: the Cognito login "
            "domain named instead of the issuer, a pool without a login domain, or a "
            "gateway whose discovery URL names another pool.",
        fix="Check the authorization_servers entry: it must be the issuer "
            "(https://cognito-idp.REGION.amazonaws.com/POOL_ID for Cognito), and the pool "
            "needs a login domain.",
        sources=(rfc(8414, "3"), VERIFY_JWT, MCP_AUTH)),
    "AS_ISSUER_MISMATCH": Explanation(
        why="The metadata's `issuer` differs from the URL it was fetched for: a trailing "
            "slash, the login domain instead of the issuer, or a proxy rewriting the host. "
            "RFC 8414 §3.3 makes clients refuse it.",
        fix="List the exact issuer in authorization_servers.",
        sources=(rfc(8414, "3.3"), MCP_AUTH)),
    "AS_HOSTED_DOMAIN_AS_ISSUER": Explanation(
        why="The protected-resource metadata names the Cognito login domain "
            "(PREFIX.auth.REGION.amazoncognito.com) as the authorization server, but the "
            "issuer is https://cognito-idp.REGION.amazonaws.com/POOL_ID: the login domain "
            "serves no authorization server metadata under its own name.",
        fix="List the pool's issuer URL instead.",
        sources=(VERIFY_JWT, rfc(8414, "3"), rfc(9728, "2"))),
    "AS_NO_S256": Explanation(
        why="The authorization server metadata lacks code_challenge_methods_supported with "
            "S256. Cognito supports PKCE S256 but its discovery document does not list it, "
            "and some MCP clients are reported to refuse such a server.",
        fix="Nothing to set in Cognito: strict clients need a proxy that serves its own "
            "metadata (e.g. `mcpauth scaffold fastmcp-lambda`).",
        sources=(rfc(8414, "2"), rfc(7636, "4.3"), MCP_AUTH)),
    "AS_NO_REGISTRATION": Explanation(
        why="The authorization server offers neither dynamic client registration nor client "
            "ID metadata documents: each MCP client needs a pre-registered client id (what "
            "`mcpauth init` makes).",
        fix="Nothing, with pre-registered clients; to let clients register with Cognito: "
            "`mcpauth init --registration dcr`.",
        sources=(MCP_AUTH, rfc(7591, "3"), CIMD, DCR)),
    "JWKS_UNREACHABLE": Explanation(
        why="The signing keys cannot be fetched: the metadata has no jwks_uri, or it did not "
            "answer 200. Clients and gateways cannot check any token.",
        fix="Publish the signing keys at the metadata's jwks_uri (Cognito: "
            "https://cognito-idp.REGION.amazonaws.com/POOL_ID/.well-known/jwks.json).",
        sources=(VERIFY_JWT, rfc(8414, "2"), rfc(7517, "5"))),
    "JWKS_INVALID": Explanation(
        why="The jwks_uri answered something that is not a usable JWK set (not JSON, no "
            "keys, keys of an unknown type).",
        fix="Serve a JWK set (RFC 7517 §5) with the authorization server's public keys.",
        sources=(rfc(7517, "5"), VERIFY_JWT)),
    "CORS_MISSING": Explanation(
        why="The metadata endpoints send no Access-Control-Allow-Origin header, so browser "
            "clients (MCP Inspector in direct mode) cannot read them.",
        fix="Allow CORS on the metadata endpoints (Access-Control-Allow-Origin).",
        sources=(CORS, MCP_AUTH)),
    "PROXY_STATE_NOT_SHARED": Explanation(
        why="FastMCP's OAuth proxy keeps each sign-in's state where it started; on Lambda "
            "(or any several instances) the next step of a sign-in often reaches another "
            "instance, which does not know it: intermittent 'Invalid or expired "
            "authorization transaction'. The doctor's state probe starts N sign-ins and "
            "counts those unknown where they finished.",
        fix="Keep the proxy's OAuth state where every instance finds it: the DynamoDB store "
            "of `mcpauth scaffold fastmcp-lambda` (oauth_state.py), or client_storage=<a "
            "shared store> on the provider (Redis, DynamoDB); never FastMCP's default on "
            "Lambda.",
        sources=(LAMBDA_URLS, rfc(6749, "10.12", "state"))),
    # --- platforms --------------------------------------------------------------------------
    "PLATFORM_SENDS_NO_SCOPE": Explanation(
        why="A client known to send no scope when the server advertises none meets a server "
            "that advertises none: Cognito then issues a code that fails at the token "
            "endpoint with invalid_grant.",
        fix="Advertise the resource scope: the gateway's allowedScopes (its challenge then "
            "names it), or scope= in the server's WWW-Authenticate challenge.",
        sources=(rfc(6750, "3"), rfc(9728, "2"), MCP_AUTH)),
    "PLATFORM_ASKS_ALL_SCOPES": Explanation(
        why="A client known to ask for every scope the authorization server lists, when the "
            "server advertises none, meets a server that advertises none: it asks for scopes "
            "its app client may not request, and Cognito answers invalid_scope.",
        fix="Advertise the resource scope (gateway allowedScopes), or pin the scope in the "
            "client's config (`mcpauth show` prints it).",
        sources=(rfc(8414, "2"), MCP_AUTH)),
    "PLATFORM_REQUIRES_ISS": Explanation(
        why="A client that refuses an authorization response without the RFC 9207 iss "
            "parameter once it discovered the issuer meets an authorization server that "
            "sends none (Cognito does not).",
        fix="Configure the client with explicit endpoints and no issuer, as its panel does "
            "(`mcpauth show`): authorizationUrl, tokenUrl, redirectUri.",
        sources=(rfc(9207, "2"),)),
    "PLATFORM_CALLBACK_NEEDS_ISS": Explanation(
        why="ChatGPT is reported to use a per-connector callback URL when the authorization "
            "server sends no RFC 9207 iss (Cognito does not), and that URL is not registered "
            "on the client: sign-in would end in redirect_mismatch.",
        fix="`mcpauth add-callback chatgpt --url <the URL ChatGPT shows>` (it shows it once "
            "the connector exists).",
        console=CLIENT_CONSOLE + " → Allowed callback URLs",
        cli=_client_cli("add the URL ChatGPT shows to CallbackURLs"),
        sources=(rfc(9207, "2"), APP_CLIENTS)),
    # --- the authorize and token endpoints ---------------------------------------------------
    "AUTHZ_REDIRECT_MISMATCH": Explanation(
        why="The authorize request was refused for its redirect URI: it is not a callback "
            "URL of the client, exactly (usually COGNITO_CALLBACK_MISSING beside it names "
            "which).",
        fix="Register the platform's callback URL: `mcpauth add-callback PLATFORM`.",
        console=CLIENT_CONSOLE + " → Allowed callback URLs",
        sources=(AUTHORIZE, rfc(6749, "3.1.2"))),
    "AUTHZ_INVALID_SCOPE": Explanation(
        why="The authorize request was refused for its scopes: the resource server is "
            "missing, the client may not ask for the scope, or the challenge advertises a "
            "short scope name (a gateway's allowedScopes holding `invoke`). The cause is "
            "usually a finding beside it.",
        fix="Check the resource server and the client's allowed scopes (`mcpauth doctor "
            "--fix` repairs both); for a gateway, allowedScopes must hold full scope strings.",
        sources=(AUTHORIZE, RESOURCE_SERVERS, rfc(6749, "4.1.2.1"))),
    "AUTHZ_UNAUTHORIZED_CLIENT": Explanation(
        why="The client may not use the code grant: OAuth flows off, `code` not allowed, or "
            "a client_credentials (M2M) client.",
        fix="Switch the client's OAuth flows on with the code grant "
            "(`mcpauth add-callback PLATFORM --enable-code-flow`), or use a sign-in client.",
        console=CLIENT_CONSOLE + " → OAuth 2.0 grant types",
        sources=(AUTHORIZE, APP_CLIENTS, rfc(6749, "4.1.2.1"))),
    "AUTHZ_UNKNOWN_CLIENT": Explanation(
        why="The authorization server does not know the client id: the client was deleted "
            "or re-created, the id belongs to another pool, or the discovery chain leads to "
            "another pool than the one the client is in.",
        fix="Check the client id (and that the gateway's discovery URL is this pool's).",
        sources=(AUTHORIZE, APP_CLIENTS)),
    "AUTHZ_RESOURCE_REJECTED": Explanation(
        why="The resource parameter (RFC 8707) was refused (invalid_target): no resource "
            "server whose identifier is exactly the MCP URL.",
        fix="Create a resource server whose identifier is exactly the MCP URL "
            "(`mcpauth doctor --fix`).",
        sources=(RESOURCE_BINDING, rfc(8707, "2"))),
    "AUTHZ_NO_LOGIN_PAGE": Explanation(
        why="The authorize request did not lead to a login page: no login domain or one "
            "not yet active, a client without an identity provider, or managed login "
            "without a style for the client ('Login pages unavailable').",
        fix="Check the login domain, the managed login style and the identity provider (the "
            "findings beside it name which).",
        sources=(AUTHORIZE, DOMAIN, BRANDING)),
    "AUTHZ_INVALID_REQUEST": Explanation(
        why="The authorize request was refused as invalid: e.g. PKCE method `plain` where "
            "S256 is required, a missing or malformed parameter.",
        fix="Send the authorization code request the way MCP requires: response_type=code, "
            "PKCE S256, the registered redirect_uri, the resource.",
        sources=(AUTHORIZE, rfc(6749, "4.1.2.1"), rfc(7636, "4.3"))),
    "TOKEN_CLIENT_AUTH_FAILED": Explanation(
        why="The token endpoint answered invalid_client: a wrong or rotated client secret, "
            "a secret sent for a public client (or none for a confidential one), a deleted "
            "client, or (FastMCP's proxy) a client without the secret the proxy sends.",
        fix="Check the client secret (or that a public client sends none); for FastMCP's "
            "proxy, make a confidential client (`mcpauth init --server fastmcp-proxy`).",
        sources=(TOKEN_ENDPOINT, rfc(6749, "5.2"))),
    # --- --login ------------------------------------------------------------------------------
    "LOGIN_STATE_MISMATCH": Explanation(
        why="The callback's state differs from the one the doctor sent: a callback that "
            "belongs to another sign-in (an old browser tab, another tool listening on the "
            "same port) or a forged one (CSRF).",
        fix="Run `mcpauth doctor --login` again and finish the sign-in in the tab it opens.",
        sources=(rfc(6749, "10.12"),)),
    "LOGIN_ISS_MISMATCH": Explanation(
        why="The callback's iss is not the issuer the doctor discovered: a possible mix-up "
            "between authorization servers (RFC 9207), or a proxy answering in the "
            "server's name.",
        fix="Check which authorization server the metadata names; do not sign in through one "
            "whose iss differs.",
        sources=(rfc(9207, "2.4"),)),
    "LOGIN_ERROR": Explanation(
        why="The sign-in ended with an error: the authorization server's error on the "
            "callback (invalid_scope, redirect_mismatch, access_denied, …), a callback "
            "without a code, a failed code exchange, or a port the doctor could not listen "
            "on. The configuration finding beside it usually names the cause.",
        fix="Read the error in the finding and the configuration findings beside it.",
        sources=(rfc(6749, "4.1.2.1"), rfc(6749, "5.2"), TOKEN_ENDPOINT)),
    "LOGIN_TIMEOUT": Explanation(
        why="No sign-in arrived on the loopback callback before the deadline: the URL was "
            "not opened, the sign-in was not finished, or the browser went to another "
            "callback.",
        fix="Open the printed URL in a browser and sign in (`mcpauth doctor --login "
            "--no-browser` prints it without opening one).",
        sources=(rfc(8252, "7.3", "loopback redirect"),)),
    "LOGIN_NO_CLIENT": Explanation(
        why="--login had no client id to sign in with, and the authorization server offers "
            "no registration the doctor can use (no dynamic client registration, no client "
            "ID metadata document given).",
        fix="Pass --client-id (and --client-secret-env for a confidential client), or "
            "--client-metadata-url.",
        sources=(MCP_AUTH, rfc(7591, "3"), CIMD)),
    "LOGIN_REGISTRATION_FAILED": Explanation(
        why="Dynamic client registration (RFC 7591) failed: the endpoint refused the "
            "doctor's registration (policy, authenticated-only, a bad request) or did not "
            "answer.",
        fix="Pass --client-id, or check the server's registration policy.",
        sources=(rfc(7591, "3.2.2"), DCR)),
    "LOGIN_NO_LOOPBACK_CALLBACK": Explanation(
        why="--login signs in through http://localhost:<port>/callback, and the client has "
            "no such callback URL for the doctor to listen on. This is the doctor's limit, "
            "not the platform's.",
        fix="`mcpauth add-callback doctor --client-id CLIENT_ID` registers one (port 8976; "
            "or --port N).",
        console=CLIENT_CONSOLE + " → Allowed callback URLs",
        sources=(rfc(8252, "7.3"), APP_CLIENTS)),
    "LOGIN_PORT_TAKEN": Explanation(
        why="Another process listens on the callback's port on one of the addresses "
            "localhost means (127.0.0.1, ::1): a browser sent there could deliver the "
            "sign-in's code to it, so the doctor does not start the sign-in.",
        fix="Stop the process that listens on the port (`lsof -i :PORT` or `ss -ltnp` "
            "names it), or register another port: `mcpauth add-callback PLATFORM --port N`.",
        sources=(rfc(8252, "7.3"), rfc(8252, "8.3"))),
    # --- the token and the call ---------------------------------------------------------------
    "TOKEN_SIGNATURE_INVALID": Explanation(
        why="The token's signature does not verify with the authorization server's keys: a "
            "token from another pool or issuer, a key id not in the JWKS, or a token that was "
            "altered.",
        fix="Use a token issued by this authorization server (sign in again).",
        sources=(VERIFY_JWT, rfc(7515, "5.2"))),
    "TOKEN_EXPIRED": Explanation(
        why="The token's exp is in the past (Cognito access tokens last one hour by "
            "default).",
        fix="Sign in again (or refresh the token).",
        sources=(VERIFY_JWT, rfc(7519, "4.1.4"))),
    "TOKEN_ISSUER_MISMATCH": Explanation(
        why="The token's iss is not the authorization server the server trusts: a token "
            "from another pool, region or stage.",
        fix="Use a token from the pool the server trusts (its discovery URL).",
        sources=(VERIFY_JWT, rfc(7519, "4.1.1"))),
    "TOKEN_WRONG_USE": Explanation(
        why="An ID token (token_use: id) is used where an access token is needed: a client "
            "or script that sends the id_token. It carries neither the access token's scopes "
            "nor its client_id claim, so the server refuses it.",
        fix="Send the access token (token_use: access).",
        sources=(ACCESS_TOKEN, VERIFY_JWT)),
    "TOKEN_AUDIENCE_MISMATCH": Explanation(
        why="The token's client_id (or aud) is not what the server allows: a client missing "
            "from the gateway's allowedClients, an allowedAudience the token does not carry, "
            "or a token requested without resource=<MCP URL> for a server that checks aud.",
        fix="`mcpauth doctor --fix` repairs the gateway's lists; a server checking aud needs "
            "the token requested with resource=<the MCP URL> (what MCP clients send).",
        sources=(GATEWAY_JWT, ACCESS_TOKEN, rfc(8707, "2"), rfc(7519, "4.1.3"))),
    "TOKEN_SCOPE_MISSING": Explanation(
        why="The token lacks a scope the server requires: the client did not ask for it "
            "(nothing advertised), may not ask for it, or the server requires a short scope "
            "name no token carries.",
        fix="Advertise the resource scope and allow it on the client (`mcpauth doctor --fix`).",
        sources=(ACCESS_TOKEN, RESOURCE_SERVERS, rfc(6750, "3.1"))),
    "SERVER_ACCEPTS_FORGED_TOKEN": Explanation(
        why="`--audit` sent the MCP server bearer tokens no honest server may accept (alg "
            "none, signed with a key of the doctor's own, expired, another issuer or audience, "
            "an ID token's shape, garbage) and it answered at least one with success: a server "
            "that decodes the JWT without verifying it, accepts any algorithm, skips exp / iss "
            "/ aud, or lets any Authorization header through. Anyone can then call its tools.",
        fix="Verify every bearer token: the signature against the issuer's JWKS (with the "
            "algorithm the key says, never none), exp, iss, token_use and the audience or "
            "client id (an AgentCore gateway's CUSTOM_JWT authorizer does; FastMCP: "
            "JWTVerifier(jwks_uri=…, issuer=…)).",
        sources=(VERIFY_JWT, rfc(8725, "3.1", "algorithm verification"),
                 rfc(8725, "3.9", "audience"), rfc(9068, "4"), MCP_AUTH)),
    "MCP_TOKEN_REJECTED": Explanation(
        why="The MCP server answers 401 to a token that validates: its authorizer expects "
            "another client, audience, issuer or pool than the token has (the token findings "
            "beside it usually name which).",
        fix="Compare the gateway's authorizer (discoveryUrl, allowedClients, "
            "allowedAudience) with the token's claims; `mcpauth doctor --fix` repairs the "
            "gateway's lists.",
        sources=(GATEWAY_JWT, rfc(6750, "3.1"))),
    "MCP_INSUFFICIENT_SCOPE": Explanation(
        why="The MCP server answers 403 insufficient_scope: the token lacks the scope it "
            "requires (a short scope name in allowedScopes, or a scope the client did not "
            "get).",
        fix="Make allowedScopes hold the full scope string and the client allowed to ask for "
            "it (`mcpauth doctor --fix`).",
        sources=(rfc(6750, "3.1"), GATEWAY_JWT, MCP_AUTH)),
    "MCP_PROTOCOL_UNSUPPORTED": Explanation(
        why="With a valid token, neither server/discover (MCP 2026-07-28) nor initialize "
            "(MCP 2025-11-25) answered with a result: a server speaking an older or "
            "unfinished protocol version, or not an MCP endpoint at that URL.",
        fix="Check the URL is the MCP endpoint and the server speaks a current MCP version.",
        sources=(("MCP specification", "https://modelcontextprotocol.io/specification"),)),
    # --- the doctor's own limits -----------------------------------------------------------
    "DOCTOR_STOPPED": Explanation(
        why="The run was stopped at --step (q): the steps after it did not run. " + _DOCTOR_LIMIT,
        fix="Run `mcpauth doctor` again (without --step, or continue with c).",
        sources=()),
    "DOCTOR_STEP_FAILED": Explanation(
        why="A doctor step crashed or timed out (the exception type and message are in the "
            "evidence). " + _DOCTOR_LIMIT,
        fix="Run it again; if it repeats, report it with the output of `mcpauth -v doctor "
            "--json`.",
        sources=()),
    "HTTP_RESPONSE_TOO_LARGE": Explanation(
        why="An answer ran past the doctor's bound (256 KiB for metadata and JWKS, 1 MiB "
            "otherwise, counted after decoding; 100 header fields), so it was not read: a "
            "misconfigured or hostile server, or an HTML page where JSON was expected.",
        fix="Serve small answers at the URL the finding names (metadata and keys are a few "
            "KiB).",
        sources=(rfc(9728, "2"), rfc(8414, "2"))),
    "HTTP_RESPONSE_ENCODING": Explanation(
        why="An answer stacked content-codings (`gzip, gzip`, or two Content-Encoding "
            "lines), used one the doctor did not ask for, or did not decode, so it was not "
            "read: a misconfigured proxy or a hostile server.",
        fix="Serve the URL the finding names with one content-coding the client asked for "
            "(Accept-Encoding), or none.",
        sources=(rfc(9110, "8.4", "Content-Encoding"),)),
    # --- `mcpauth monitor`: drift since the last good run (doctor/drift.py) --------------------
    "DRIFT_CALLBACK_REMOVED": Explanation(
        why="`mcpauth monitor` keeps each gateway's setup from its last run without errors; "
            "since then a callback URL left the app client's CallbackURLs: a console edit, an "
            "UpdateUserPoolClient call that sent a shorter list (it replaces the whole client), "
            "or infrastructure as code that does not know the URL. A callback added is not drift.",
        fix="If the removal was not meant, put the URL back: `mcpauth add-callback URL "
            "--client-id CLIENT_ID` (or PLATFORM instead of URL). If it was meant, nothing: the "
            "next run without errors becomes the new baseline.",
        console=CLIENT_CONSOLE + " → Allowed callback URLs",
        cli=_client_cli("add the URL back to CallbackURLs"),
        cdk="UserPoolClient: oAuth: { callbackUrls: ['https://…'] }",
        sources=(APP_CLIENTS, UPDATING, UPDATE_CLIENT)),
    "DRIFT_CLIENT_RECREATED": Explanation(
        why="An app client of the last good run is gone and a client with the same name has a "
            "new id: deleted and created again by hand, or replaced by infrastructure as code "
            "(a change CloudFormation makes by replacement). Platforms configured with the old "
            "id, and a gateway whose allowedClients lists it, refuse or cannot find the new one.",
        fix="Give each platform the new client id and its secret, and put the new id in the "
            "gateway's allowedClients: `mcpauth init` records both (then `mcpauth show`).",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("the new client id in allowedClients"),
        cdk=CDK_GATEWAY,
        sources=(APP_CLIENTS, GATEWAY_JWT, GATEWAY_JWT_API)),
    "DRIFT_CLIENT_REMOVED": Explanation(
        why="An app client of the last good run is gone and no client has its name: deleted in "
            "the console, by a cleanup script, or by infrastructure as code. Every platform "
            "configured with it fails at sign-in (unknown client).",
        fix="Create it again with `mcpauth init` (same platforms), and give the platform the "
            "new id and secret; or, if it was retired on purpose, remove it from the platform.",
        console="Amazon Cognito console → User pools → your pool → App clients",
        sources=(APP_CLIENTS,)),
    "DRIFT_SCOPE_REMOVED": Explanation(
        why="A scope the last good run had is gone: unticked on the app client (its "
            "AllowedOAuthScopes), or removed from the resource server, or the resource server "
            "deleted with all its scopes. A client asking for it is refused with invalid_scope, "
            "and a gateway that requires it refuses the token. A scope added is not drift.",
        fix="Tick the scope again on the app client, or create the resource server's scope "
            "again: `mcpauth doctor --fix` where mcpauth.toml is, or `mcpauth init`.",
        console=CLIENT_CONSOLE + " → Custom scopes",
        cli=_client_cli("add the scope back to AllowedOAuthScopes"),
        cdk="UserPoolClient: oAuth: { scopes: [OAuthScope.resourceServer(server, scope)] }",
        sources=(RESOURCE_SERVERS, UPDATE_CLIENT, UPDATING)),
    "DRIFT_FLOW_REMOVED": Explanation(
        why="An OAuth grant type the app client allowed at the last good run (AllowedOAuthFlows, "
            "e.g. code) is switched off: MCP clients sign in with the authorization code grant, "
            "so switching code off ends every sign-in with unauthorized_client.",
        fix="Switch the grant on again: `mcpauth add-callback PLATFORM --client-id CLIENT_ID "
            "--enable-code-flow`, or in the console.",
        console=CLIENT_CONSOLE + " → OAuth grant types",
        cli=_client_cli('put "code" back in AllowedOAuthFlows'),
        cdk="UserPoolClient: oAuth: { flows: { authorizationCodeGrant: true } }",
        sources=(APP_CLIENTS, UPDATE_CLIENT, AUTHORIZE)),
    "DRIFT_ALLOWED_CLIENT_REMOVED": Explanation(
        why="The gateway's allowedClients no longer lists a client it admitted at the last good "
            "run (or a list now exists where the gateway admitted every client): tokens of that "
            "client are refused at the gateway with 401, although sign-in works.",
        fix="Put the client id back in allowedClients: `mcpauth init` with the platforms that "
            "use it, or the console.",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("the client id back in allowedClients"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, GATEWAY_JWT_API, UPDATE_GATEWAY)),
    "DRIFT_AUDIENCE_CHANGED": Explanation(
        why="The gateway's allowedAudience dropped a value it had at the last good run, or "
            "checks an audience where it checked none: a Cognito access token carries aud only "
            "when the client sent resource to a pool that binds it, so tokens that passed "
            "before are refused. An audience added beside the old ones, or the check dropped, "
            "is not drift.",
        fix="Set allowedAudience back, or make every client send the audience it now needs "
            "(`mcpauth init --gateway-audience` sets up both ends).",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("allowedAudience as it was"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, GATEWAY_JWT_API, RESOURCE_BINDING)),
    "DRIFT_GATEWAY_SCOPES_CHANGED": Explanation(
        why="The gateway's allowedScopes differ from the last good run's: tokens are checked "
            "against scopes the clients may not ask for (or no longer against the ones they "
            "ask for). Emptying the list checks no scope at all, which is not drift.",
        fix="Set allowedScopes back to the full scope strings the clients ask for (the resource "
            "server's identifier/scope): `mcpauth init --gateway-allowed-scopes`.",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("allowedScopes as they were"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, GATEWAY_JWT_API, UPDATE_GATEWAY)),
    "DRIFT_DISCOVERY_URL_CHANGED": Explanation(
        why="The gateway's discoveryUrl, the user pool whose tokens it trusts, changed since the "
            "last good run: tokens from the old pool are refused, and clients keep signing in "
            "there until they are moved.",
        fix="Set discoveryUrl back to " + DISCOVERY_URL + " of the old pool, or move every "
            "client to the new pool with `mcpauth init`.",
        console=GATEWAY_CONSOLE,
        cli=_gateway_cli("discoveryUrl as it was"),
        cdk=CDK_GATEWAY,
        sources=(GATEWAY_JWT, GATEWAY_JWT_API, GET_GATEWAY)),
}


# --- rendering -------------------------------------------------------------------------------

_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_COMMAND = re.compile(r"`([^`]+)`")


def plain(text: str) -> str:
    """A finding table meaning or a fix for a terminal: markdown links and backticks removed."""
    return _LINK.sub(r"\1", text).replace("`", "")


def explain_text(code: str) -> str:
    """`mcpauth explain CODE`: the whole explanation as text (commands on lines of their own)."""
    from mcpauth_wizard.doctor.findings import CODES

    severity, meaning = CODES[code]
    item = EXPLANATIONS[code]
    lines = [f"{code} ({severity})", plain(meaning), "", "Why it happens", f"  {plain(item.why)}",
             "", "How to fix it", f"  {plain(item.fix)}"]
    lines += [f"    {command}" for command in _COMMAND.findall(item.fix)]  # each whole, to copy
    if item.console:
        lines += ["", "  Console:", f"    {item.console}"]
    if item.cli:
        lines += ["", "  AWS CLI:", *(f"    {line}" for line in item.cli)]
    if item.cdk:
        lines += ["", "  CDK:", f"    {item.cdk}"]
    if item.sources:
        lines += ["", "Sources", *(f"  {label}: {url}" for label, url in item.sources)]
    return "\n".join(lines) + "\n"


def explain_markdown(code: str) -> str:
    """The same explanation as Markdown (SARIF rules' help.markdown)."""
    from mcpauth_wizard.doctor.findings import CODES

    severity, meaning = CODES[code]
    item = EXPLANATIONS[code]
    parts = [f"**{code}** ({severity}): {meaning}", "", "**Why it happens.** " + item.why, "",
             "**How to fix it.** " + item.fix]
    if item.console:
        parts += ["", f"Console: {item.console}"]
    if item.cli:
        parts += ["", "AWS CLI:", "", "```sh", *item.cli, "```"]
    if item.cdk:
        parts += ["", f"CDK: `{item.cdk}`"]
    if item.sources:
        parts += ["", "Sources:", "", *(f"- [{label}]({url})" for label, url in item.sources)]
    return "\n".join(parts) + "\n"


def help_uri(code: str) -> str | None:
    """The first source of a code (a page to read about it), if it has one."""
    sources = EXPLANATIONS[code].sources
    return sources[0][1] if sources else None
