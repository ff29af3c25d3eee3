"""`mcpauth clients`: who made each app client, and pruning that only ever touches clients
that registered themselves."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
import pytest

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.provision.inventory import AppClient, parse_age, prune_plan
from mcpauth_wizard.sandbox.server import Sandbox
from tests.sandbox_fixtures import mcpauth
from tests.test_doctor_registration import DcrFresh


class Pool(DcrFresh):
    """init's clients (mcpauth), two registered clients (one old), one console client (old)."""

    def __init__(self, sandbox: Sandbox, folder: Path) -> None:
        super().__init__(sandbox, folder)
        register = f"{sandbox.login.domain_url(self.project.domain)}/oauth2/register"
        self.registered = [httpx.post(register, json={
            "client_name": name, "redirect_uris": ["http://127.0.0.1:33418/"],
            "token_endpoint_auth_method": "none"}).json()["client_id"] for name in ("VS Code", "Cursor")]
        self.other = self.cognito.create_user_pool_client(
            UserPoolId=self.pool, ClientName="console-web-app", GenerateSecret=True)["UserPoolClient"]["ClientId"]
        # Nothing in the API backdates a client: age three of them in moto's own records.
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=45)
        clients = sandbox.directory.pool(self.pool).clients
        for client_id in (self.registered[0], self.other, self.client("chatgpt")):
            clients[client_id].creation_date = old

    def ids(self) -> set[str]:
        listed = self.cognito.list_user_pool_clients(UserPoolId=self.pool, MaxResults=60)
        return {c["ClientId"] for c in listed["UserPoolClients"]}


@pytest.fixture
def pool(sandbox: Sandbox, tmp_path: Path) -> Pool:
    return Pool(sandbox, tmp_path)


def test_clients_lists_who_made_each_one(pool: Pool) -> None:
    code, out = mcpauth(pool.sandbox, pool.folder, "clients", "--json")
    assert code == 0, out
    listed = {c["client_id"]: c for c in json.loads(out)["clients"]}
    assert listed.keys() == pool.ids()
    assert {c for c, v in listed.items() if v["origin"] == "registered"} == set(pool.registered)
    assert listed[pool.other]["origin"] == "other" and listed[pool.other]["secret"] is True
    assert {listed[pool.client(p)]["origin"] for p in ("chatgpt", "claude", "inspector")} == {"mcpauth"}
    assert listed[pool.registered[1]]["secret"] is False
    assert listed[pool.registered[1]]["callbacks"] == ["http://127.0.0.1:33418/"]
    code, table = mcpauth(pool.sandbox, pool.folder, "clients")
    assert "registered dynamically" in table and "console-web-app" in table


def test_prune_dry_run_shows_only_old_registered_clients_and_deletes_nothing(pool: Pool) -> None:
    before = pool.ids()
    code, out = mcpauth(pool.sandbox, pool.folder, "clients", "prune", "--registered",
                        "--older-than", "30d", "--dry-run")
    assert code == 0, out
    assert pool.registered[0] in out
    assert pool.registered[1] not in out and pool.other not in out and pool.client("chatgpt") not in out
    assert pool.ids() == before


def test_prune_deletes_old_registered_clients_after_consent_and_nothing_else(pool: Pool) -> None:
    before = pool.ids()
    code, _ = mcpauth(pool.sandbox, pool.folder, "clients", "prune", "--registered", "--older-than", "30d")
    assert code == 1 and pool.ids() == before  # no terminal, no --yes: no consent
    code, out = mcpauth(pool.sandbox, pool.folder, "clients", "prune", "--registered",
                        "--older-than", "30d", "--yes")
    assert code == 0, out
    assert pool.ids() == before - {pool.registered[0]}


@pytest.mark.parametrize("args", [
    ["clients", "prune", "--older-than", "30d"],  # --registered is required
    ["clients", "prune", "--registered", "--older-than", "a month"],
])
def test_prune_bad_input_exits_2_and_deletes_nothing(pool: Pool, args: list[str]) -> None:
    before = pool.ids()
    code, _ = mcpauth(pool.sandbox, pool.folder, *args)
    assert code == 2
    assert pool.ids() == before


def test_style_gives_a_registered_client_a_login_style(pool: Pool) -> None:
    cid = pool.registered[1]
    code, out = mcpauth(pool.sandbox, pool.folder, "clients", "style", cid)
    assert code == 0, out
    assert pool.cognito.describe_managed_login_branding_by_client(UserPoolId=pool.pool, ClientId=cid)


def test_prune_plan_never_picks_an_mcpauth_or_other_client() -> None:
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    clients = [AppClient(f"id-{o}", o, old, False, (), o) for o in ("mcpauth", "registered", "other")]
    assert [c.id for c in prune_plan(clients, parse_age("1d"))] == ["id-registered"]
    with pytest.raises(BadInput):
        parse_age("0d")
