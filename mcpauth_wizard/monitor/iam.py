"""The monitor's IAM policy, from one table: each AWS operation its handler can call, and the
IAM action (and resource) that allows it. The template's policy is made from this table; a
test runs the handler against the sandbox and checks that the operations it makes map to
exactly these actions.

Read-only for the doctor (AgentCore control's IAM prefix is `bedrock-agentcore:`, Cognito's
`cognito-idp:`); the drift store may list, read and write its own bucket's `snapshots/` only.
"""

from __future__ import annotations

from typing import Any

SNAPSHOT_PREFIX = "snapshots/"

# where an action applies: a user pool, a gateway, the drift bucket, its snapshot objects, or
# any resource (an action with no resource type in IAM: ListGateways, DescribeUserPoolDomain)
POOL, GATEWAY, BUCKET, OBJECTS, ANY = "pool", "gateway", "bucket", "objects", "any"

# (service as botocore names it, operation) → (IAM action, where it applies)
OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    # the fleet: every gateway of a region, each one's authorizer
    ("bedrock-agentcore-control", "ListGateways"): ("bedrock-agentcore:ListGateways", ANY),
    ("bedrock-agentcore-control", "GetGateway"): ("bedrock-agentcore:GetGateway", GATEWAY),
    # the doctor's AWS checks (doctor/aws_checks.py, registration_checks.py)
    ("cognito-idp", "DescribeUserPool"): ("cognito-idp:DescribeUserPool", POOL),
    ("cognito-idp", "DescribeUserPoolDomain"): ("cognito-idp:DescribeUserPoolDomain", ANY),
    ("cognito-idp", "GetUserPoolMfaConfig"): ("cognito-idp:GetUserPoolMfaConfig", POOL),  # passkeys on
    ("cognito-idp", "DescribeResourceServer"): ("cognito-idp:DescribeResourceServer", POOL),
    ("cognito-idp", "ListResourceServers"): ("cognito-idp:ListResourceServers", POOL),  # one missing
    ("cognito-idp", "DescribeUserPoolClient"): ("cognito-idp:DescribeUserPoolClient", POOL),
    ("cognito-idp", "ListUserPoolClients"): ("cognito-idp:ListUserPoolClients", POOL),
    ("cognito-idp", "DescribeManagedLoginBrandingByClient"): (
        "cognito-idp:DescribeManagedLoginBrandingByClient", POOL),
    # the drift store (monitor/store.py): its own bucket, its own prefix
    ("s3", "ListObjectsV2"): ("s3:ListBucket", BUCKET),
    ("s3", "GetObject"): ("s3:GetObject", OBJECTS),
    ("s3", "PutObject"): ("s3:PutObject", OBJECTS),
}


def action_of(service: str, operation: str) -> str:
    """The IAM action allowing one call (KeyError: a call the table does not know)."""
    return OPERATIONS[(service, operation)][0]


def actions(where: tuple[str, ...] | None = None) -> list[str]:
    return sorted({a for a, w in OPERATIONS.values() if where is None or w in where})


def _arn(service: str, resource: str) -> dict[str, str]:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:*:${{AWS::AccountId}}:{resource}"}


def statements(bucket_ref: str) -> list[dict[str, Any]]:
    """The policy statements (CloudFormation, `bucket_ref` the drift bucket's logical id)."""
    resources: dict[str, list[Any]] = {
        POOL: [_arn("cognito-idp", "userpool/*")],
        GATEWAY: [_arn("bedrock-agentcore", "gateway/*")],
        ANY: ["*"],
        BUCKET: [{"Fn::GetAtt": [bucket_ref, "Arn"]}],
        OBJECTS: [{"Fn::Sub": f"${{{bucket_ref}.Arn}}/{SNAPSHOT_PREFIX}*"}],
    }
    sids = {POOL: "DoctorReadsPools", GATEWAY: "DoctorReadsGateways", ANY: "DoctorLists",
            BUCKET: "DriftStoreList", OBJECTS: "DriftStoreObjects"}
    found = []
    for where in (GATEWAY, POOL, ANY, BUCKET, OBJECTS):
        statement: dict[str, Any] = {"Sid": sids[where], "Effect": "Allow",
                                     "Action": actions((where,)), "Resource": resources[where]}
        if where == BUCKET:  # the listing is of the snapshots only
            statement["Condition"] = {"StringLike": {"s3:prefix": [f"{SNAPSHOT_PREFIX}*"]}}
        found.append(statement)
    return found
