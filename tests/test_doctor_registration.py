"""`mcpauth doctor` on clients that register themselves: a good DCR setup has no registration
error; each fault, injected with plain boto3, is named by its own code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mcpauth_wizard.sandbox import registration
from mcpauth_wizard.sandbox.server import Sandbox
from tests.test_doctor import Fresh


def codes(report: dict[str, Any], step: str = "aws.registration") -> list[str]:
    return [f["code"] for s in report["steps"] if s["id"] == step for f in s["findings"]]


def pool_update(f: Fresh, **changes: Any) -> None:
    """Plain boto3 UpdateUserPool: describe, change, write (what a console user does)."""
    cognito = f.cognito
    pool = cognito.describe_user_pool(UserPoolId=f.pool)["UserPool"]
    pool.update(changes)
    model = cognito.meta.service_model.operation_model("UpdateUserPool").input_shape.members
    params = {k: v for k, v in {**pool, "UserPoolId": pool["Id"]}.items() if k in model}
    cognito.update_user_pool(**params)


def authorizer_update(f: Fresh, change: Callable[[dict[str, Any]], None]) -> None:
    f.update_authorizer(change)


class DcrFresh(Fresh):
    """A setup made by init, then switched to registered clients by hand (what init
    --registration dcr makes): open registration for the code grant, the resource scope in
    AllowedScopes, the gateway trusting by scope and audience."""

    def __init__(self, sandbox: Sandbox, folder: Path) -> None:
        super().__init__(sandbox, folder)
        self.scope = f"{self.project.resource_url}/invoke"
        pool_update(self, DcrConfiguration={"OpenDcrEnabled": True, "OpenDcrGrantTypes": ["code"],
                                            "AllowedScopes": [self.scope]})

        def trust_by_scope(a: dict[str, Any]) -> None:
            a.pop("allowedClients", None)
            a.update(allowedScopes=[self.scope], allowedAudience=[self.project.resource_url])

        authorizer_update(self, trust_by_scope)


@pytest.fixture
def dcr(sandbox: Sandbox, tmp_path: Path) -> DcrFresh:
    return DcrFresh(sandbox, tmp_path)


@pytest.fixture
def unstyled() -> Iterator[None]:
    """The other plausible answer: managed login needs a style for registered clients too."""
    registration.REGISTERED_CLIENTS_STYLED = False
    yield
    registration.REGISTERED_CLIENTS_STYLED = True


def test_a_good_registration_setup_has_no_registration_error(dcr: DcrFresh) -> None:
    code, report = dcr.doctor("--platform", "inspector")
    assert codes(report) == []
    gateway = codes(report, "aws.gateway")
    assert gateway == []  # aud = the MCP URL is reachable (ESSENTIALS, managed login); no client list
    step = next(s for s in report["steps"] if s["id"] == "aws.registration")
    assert step["status"] == "pass" and "open registration for code" in step["note"]


def test_registration_off_is_said_but_not_an_error(sandbox: Sandbox, tmp_path: Path) -> None:
    exit_code, report = Fresh(sandbox, tmp_path).doctor()
    assert codes(report) == ["REGISTRATION_OFF"]
    assert exit_code == 0


FAULTS = [
    ("authenticated only", lambda f: pool_update(f, DcrConfiguration={"OpenDcrEnabled": False,
                                                                      "AllowedScopes": [f.scope]}),
     "REGISTRATION_AUTHENTICATED_ONLY"),
    ("open grant types empty", lambda f: pool_update(f, DcrConfiguration={
        "OpenDcrEnabled": True, "OpenDcrGrantTypes": [], "AllowedScopes": [f.scope]}),
     "REGISTRATION_AUTHENTICATED_ONLY"),
    ("client_credentials open", lambda f: pool_update(f, DcrConfiguration={
        "OpenDcrEnabled": True, "OpenDcrGrantTypes": ["code", "client_credentials"],
        "AllowedScopes": [f.scope]}), "REGISTRATION_OPEN_M2M"),
    ("resource scope not allowed", lambda f: pool_update(f, DcrConfiguration={
        "OpenDcrEnabled": True, "OpenDcrGrantTypes": ["code"]}), "REGISTRATION_SCOPE_NOT_ALLOWED"),
    ("gateway lists clients", lambda f: authorizer_update(
        f, lambda a: a.update(allowedClients=[f.client("inspector")])), "GATEWAY_SHUTS_OUT_REGISTERED"),
]


@pytest.mark.parametrize(("name", "fault", "code"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_registration_fault_is_named(dcr: DcrFresh, name: str, fault: Callable[[DcrFresh], None],
                                          code: str) -> None:
    fault(dcr)
    exit_code, report = dcr.doctor("--platform", "inspector")
    assert exit_code == 1
    assert codes(report) == [code]


def test_a_lite_pool_with_registration_is_named(dcr: DcrFresh) -> None:
    # AWS and the sandbox refuse to turn DCR on in a LITE pool, so no API call can make this
    # state; it is written into moto's pool to check the doctor still says it.
    dcr.sandbox.directory.pool(dcr.pool).extended_config["UserPoolTier"] = "LITE"
    _, report = dcr.doctor("--platform", "inspector")
    assert "REGISTRATION_TIER" in codes(report)
    assert "GATEWAY_AUDIENCE_NEEDS_BINDING" in codes(report, "aws.gateway")  # no aud on LITE


def test_app_clients_near_the_quota_warn_with_the_count(dcr: DcrFresh) -> None:
    already = len(dcr.cognito.list_user_pool_clients(UserPoolId=dcr.pool, MaxResults=60)["UserPoolClients"])
    for n in range(800 - already):
        dcr.cognito.create_user_pool_client(UserPoolId=dcr.pool, ClientName=f"filler-{n}")
    _, report = dcr.doctor("--platform", "inspector")
    found = [f for s in report["steps"] if s["id"] == "aws.registration" for f in s["findings"]]
    assert [f["code"] for f in found] == ["REGISTRATION_QUOTA_NEAR"]
    assert found[0]["severity"] == "warning"
    assert found[0]["evidence"]["app_clients"] == 800


def list_clients(f: Fresh) -> list[str]:
    return [c["ClientId"] for c in f.cognito.list_user_pool_clients(
        UserPoolId=f.pool, MaxResults=60)["UserPoolClients"]]


def test_probe_registers_reaches_the_login_page_and_deletes_its_client(dcr: DcrFresh) -> None:
    before = list_clients(dcr)
    _, report = dcr.doctor("--platform", "inspector", "--probe-registration")
    step = next(s for s in report["steps"] if s["id"] == "registration.probe")
    assert step["status"] == "pass", step
    assert "reached the login page" in step["note"]
    assert list_clients(dcr) == before


def test_probe_names_a_registered_client_without_a_login_page(dcr: DcrFresh, unstyled: None) -> None:
    before = list_clients(dcr)
    _, report = dcr.doctor("--platform", "inspector", "--probe-registration")
    assert codes(report, "registration.probe") == ["REGISTRATION_NO_LOGIN_PAGE"]
    assert list_clients(dcr) == before


def test_probe_says_why_registration_fails(dcr: DcrFresh) -> None:
    pool_update(dcr, DcrConfiguration={"OpenDcrEnabled": False, "AllowedScopes": [dcr.scope]})
    _, report = dcr.doctor("--platform", "inspector", "--probe-registration")
    assert codes(report, "registration.probe") == ["REGISTRATION_PROBE_FAILED"]
