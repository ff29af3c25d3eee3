"""The vocabulary of a plan: what one step does (create / update with field-level
before → after / keep), what apply has made so far (Outcome), and the plan itself. The
modules that plan one resource kind (pool_plan, domain_plan, passkey_plan,
resource_server_plan, client_plan, gateway_plan, registration, user_plan) and the engine
that orders them (setup.py) use these; no kind imports another's planner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mcpauth_wizard.aws import writes
from mcpauth_wizard.aws.session import AwsContext
from mcpauth_wizard.core.project import Project
from mcpauth_wizard.provision.rules import Breaking
from mcpauth_wizard.provision.spec import Spec

Action = Literal["create", "update", "keep"]


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass
class Outcome:
    """What apply has made so far: ids for later steps, secrets shown once, undo actions."""

    project: Project
    region: str
    pool: dict[str, Any] | None = None
    secrets: dict[str, str] = field(default_factory=dict)  # client key → secret (this run)
    created: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # warnings found while applying
    on_wait: Callable[[str, float], None] | None = None  # progress of long waits

    def noted(self, update: writes.SafeUpdate) -> None:
        self.notes.extend(update.notes)

    @property
    def pool_id(self) -> str:
        assert self.project.user_pool_id, "the user pool step runs first"
        return self.project.user_pool_id


@dataclass(frozen=True)
class Step:
    action: Action
    kind: str
    name: str
    fields: tuple[FieldChange, ...] = ()
    note: str = ""
    run: Callable[[AwsContext, Outcome], None] | None = None
    breaking: tuple[Breaking, ...] = ()  # access this change takes away, and from whom
    consent_name: str = ""  # what the user types to accept a breaking change

    @property
    def label(self) -> str:
        return f"{self.action} {self.kind} {self.name}"


@dataclass(frozen=True)
class Plan:
    spec: Spec
    steps: tuple[Step, ...]
    warnings: tuple[str, ...]
    region: str

    @property
    def changes(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.action != "keep")

    @property
    def breaking(self) -> tuple[Step, ...]:
        """Steps that take access away from someone: applied only with explicit consent."""
        return tuple(s for s in self.steps if s.breaking)


def diff_fields(before: dict[str, Any], after: dict[str, Any], keys: list[str]) -> tuple[FieldChange, ...]:
    """The fields among `keys` whose values differ, before → after."""
    return tuple(
        FieldChange(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)
    )


def duplicates_note(what: str, kept: str, others: list[dict[str, Any]], key: str) -> str:
    """A note naming same-named resources a lost create may have left (the recorded one is kept)."""
    listed = ", ".join(f"{o[key]} (made {o.get('CreationDate') or '?'})" for o in others)
    return (f"{what}: besides {kept} (recorded in mcpauth.toml) there are {listed} with the same "
            "name, likely left by a create whose answer was lost; mcpauth keeps using "
            f"{kept}: delete the others if nothing uses them")
