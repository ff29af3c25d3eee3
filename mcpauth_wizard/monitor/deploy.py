"""`mcpauth monitor deploy` and `remove`: the monitor's stack through a CloudFormation change set.

deploy: package (monitor/package.py) → upload to the given bucket (key from the zip's
SHA-256: the same code, the same key) → a change set → each resource change shown → consent
(default No; --yes consents; without a terminal only --yes does) → execute → wait, printing
the stack's events, until it is done or the deadline passes. A declined change set is deleted
(and the empty stack a first create leaves in REVIEW_IN_PROGRESS): nothing is executed.

remove: the stack and what its drift bucket holds, after the same consent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpauth_wizard.core.errors import AwsProblem, BadInput

DEFAULT_STACK = "mcpauth-monitor"
DEFAULT_TIMEOUT = 900
POLL_SECONDS = 5.0
CODE_PREFIX = "mcpauth-monitor/"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # a role; the SAM transform

_STACK = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
_BUCKET = re.compile(r"^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SCHEDULE = re.compile(r"^(rate\(\s*[1-9]\d*\s+(minute|minutes|hour|hours|day|days)\s*\)"
                       r"|cron\([^()]+\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$")
_DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")
_FAILED_END = ("ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED",
               "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_FAILED", "IMPORT_ROLLBACK_COMPLETE")
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


def check_stack_name(name: str) -> str:
    if not _STACK.match(name):
        raise BadInput(f"--stack-name {name!r}; accepted: a letter, then letters, digits and "
                       "hyphens (at most 128)")
    return name


def check_bucket(name: str) -> str:
    if not _BUCKET.match(name):
        raise BadInput(f"--bucket {name!r} is not an S3 bucket name; accepted: 3-63 lowercase "
                       "letters, digits, dots and hyphens, e.g. my-deploy-bucket")
    return name


def check_schedule(expression: str) -> str:
    if not _SCHEDULE.match(expression.strip()):
        raise BadInput(f"--schedule {expression!r}; accepted: rate(N minutes|hours|days), "
                       "cron(…) or at(yyyy-mm-ddThh:mm:ss), e.g. 'rate(15 minutes)'")
    return expression.strip()


@dataclass
class DeployRequest:
    stack: str
    bucket: str
    regions: tuple[str, ...] = ()
    schedule: str | None = None
    email: str | None = None
    retention_days: int | None = None
    package: Path | None = None
    timeout: int = DEFAULT_TIMEOUT  # for CloudFormation, from the change set's creation on

    def given(self, code_key: str) -> dict[str, str | None]:
        """Each template parameter's value from the flags; None: not given."""
        return {"CodeBucket": self.bucket, "CodeKey": code_key,
                "Regions": ",".join(self.regions) or None, "Schedule": self.schedule,
                "AlertEmail": self.email,
                "LogRetentionDays": str(self.retention_days) if self.retention_days else None}

    def unchanged(self, code_key: str, previous: dict[str, str] | None) -> bool:
        """An update whose every given parameter equals the deployed one (code included)."""
        return _unchanged_params(self.given(code_key), previous)

    def parameters(self, code_key: str, previous: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """CREATE (`previous` None): what was given, the template's defaults for the rest
        (no e-mail: ""). UPDATE: what was given; what was not keeps its deployed value
        (UsePreviousValue) — a code-only deploy never resets the regions, the e-mail, the
        schedule or the log retention."""
        found: list[dict[str, Any]] = []
        for key, value in self.given(code_key).items():
            if value is not None:
                found.append({"ParameterKey": key, "ParameterValue": value})
            elif previous is not None and key in previous:
                found.append({"ParameterKey": key, "UsePreviousValue": True})
            elif previous is None and key in ("Regions", "AlertEmail"):
                found.append({"ParameterKey": key, "ParameterValue": ""})
        return found


def _unchanged_params(given: dict[str, str | None], previous: dict[str, str] | None) -> bool:
    return previous is not None and all(v is None or previous.get(k) == v for k, v in given.items())


def parameter_lines(request: DeployRequest, code_key: str, previous: dict[str, str]) -> list[str]:
    """An update's parameters, each changed one as before → after, the kept ones named."""
    lines, kept = [], []
    for key, value in request.given(code_key).items():
        if key in ("CodeBucket", "CodeKey"):
            continue
        if value is None or previous.get(key) == value:
            kept.append(key)
        else:
            lines.append(f"  ~ Parameter {key}: {previous.get(key, '')!r} → {value!r}")
    if kept:
        lines.append(f"  = kept as deployed: {', '.join(kept)}")
    return lines


def _code(aws: Any, request: DeployRequest, say: Callable[[str], None]) -> str:
    """The package, built or given, in the bucket; its key."""
    import tempfile

    from mcpauth_wizard.monitor import package

    s3 = aws.client("s3")
    where = (s3.get_bucket_location(Bucket=request.bucket).get("LocationConstraint") or "us-east-1")
    where = "eu-west-1" if where == "EU" else where
    if where != aws.region_name:
        raise BadInput(f"--bucket {request.bucket} is in {where}; Lambda takes its code from a "
                       f"bucket in the stack's region {aws.region_name} (or pass --region {where})")
    with tempfile.TemporaryDirectory(prefix="mcpauth-monitor-") as work:
        if request.package is not None:
            zipped = package.check(request.package)
        else:
            say(f"Building the function's package (pip, {package.PLATFORM}, Python "
                f"{package.PYTHON_VERSION}) …")
            zipped = package.build(Path(work) / "monitor.zip", Path(work))
        key = f"{CODE_PREFIX}{package.digest(zipped)}.zip"
        say(f"Uploading {zipped.name} ({zipped.stat().st_size // 1024} KiB) to s3://{request.bucket}/{key}")
        s3.upload_file(str(zipped), request.bucket, key)
    return key


def _stack(cf: Any, name: str) -> dict[str, Any] | None:
    try:
        return cf.describe_stacks(StackName=name)["Stacks"][0]
    except Exception as exc:  # noqa: BLE001 - only "does not exist" means no stack
        if "does not exist" in str(exc):
            return None
        raise


TAG = {"Key": "mcpauth", "Value": "monitor"}  # on every stack `deploy` makes (the change set's tags)


def _refuse_foreign(found: dict[str, Any], stack: str, doing: str) -> None:
    """A stack without `deploy`'s tag is someone else's: never updated nor deleted from here."""
    if TAG not in (found.get("Tags") or []):
        raise BadInput(f"stack {stack} was not made by `mcpauth monitor deploy` (it lacks the tag "
                       f"{TAG['Key']}={TAG['Value']}): nothing {doing}; accepted: a stack name "
                       "`mcpauth monitor deploy` made, or a new one (--stack-name)")


def _wait_change_set(cf: Any, change_set: str, deadline: float) -> dict[str, Any]:
    while True:
        described = cf.describe_change_set(ChangeSetName=change_set)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            described["Changes"] = list(described.get("Changes") or [])
            token = described.get("NextToken")
            while token:
                more = cf.describe_change_set(ChangeSetName=change_set, NextToken=token)
                described["Changes"] += more.get("Changes") or []
                token = more.get("NextToken")
            return described
        if time.monotonic() > deadline:
            raise AwsProblem(f"the change set was not ready before the deadline ({described['Status']})")
        time.sleep(POLL_SECONDS)


_MARKS = {"Add": "+", "Modify": "~", "Remove": "-", "Import": ">", "Dynamic": "?"}


def change_lines(described: dict[str, Any]) -> list[str]:
    """One line per resource change: mark, action, type, logical id, replacement."""
    lines = []
    for change in described.get("Changes") or []:
        rc = change.get("ResourceChange") or {}
        action = rc.get("Action", "?")
        replacement = rc.get("Replacement")
        extra = f" (replacement: {replacement})" if action == "Modify" and replacement else ""
        lines.append(f"  {_MARKS.get(action, '?')} {action:<7} {rc.get('ResourceType', '?'):<32} "
                     f"{rc.get('LogicalResourceId', '?')}{extra}")
    return lines


def _discard(cf: Any, stack: str, change_set: str, kind: str) -> None:
    """Delete a change set that is not executed (and the empty stack a CREATE left)."""
    cf.delete_change_set(ChangeSetName=change_set)
    if kind == "CREATE":
        found = _stack(cf, stack)
        if found is not None and found["StackStatus"] == "REVIEW_IN_PROGRESS":
            cf.delete_stack(StackName=stack)


def _event_ids(cf: Any, stack: str) -> set[str]:
    found = _stack(cf, stack)
    if found is None:
        return set()
    return {e["EventId"] for e in cf.describe_stack_events(StackName=found["StackId"])["StackEvents"]}


def _wait_stack(cf: Any, stack: str, deadline: float, say: Callable[[str], None], *,
                seen: set[str], deleting: bool = False) -> str:
    """Poll until the stack is done, printing the events not `seen` yet; its final status."""
    stack_id = (_stack(cf, stack) or {}).get("StackId", stack)
    while True:
        found = _stack(cf, stack_id)
        status = found["StackStatus"] if found else "DELETE_COMPLETE"
        events = cf.describe_stack_events(StackName=stack_id)["StackEvents"] if found else []
        for event in reversed(events):  # oldest first
            if event["EventId"] in seen:
                continue
            seen.add(event["EventId"])
            failed = "FAILED" in event.get("ResourceStatus", "") and event.get("ResourceStatusReason")
            say(f"  {event.get('ResourceStatus', '?'):<20} {event.get('ResourceType') or '?':<32} "
                f"{event.get('LogicalResourceId') or '?'}" + (f" — {failed}" if failed else ""))
        if status == "DELETE_COMPLETE" if deleting else status in _DONE:
            return status
        if status in _FAILED_END or status.endswith("_FAILED"):
            bad = next((e for e in events if e.get("ResourceStatus", "").endswith("_FAILED")
                        and e.get("ResourceStatusReason")), None)
            why = f": {bad['LogicalResourceId']} — {bad['ResourceStatusReason']}" if bad else ""
            raise AwsProblem(f"stack {stack} ended {status}{why}")
        if time.monotonic() > deadline:
            raise AwsProblem(f"stack {stack} is still {status} at the deadline; CloudFormation goes "
                             f"on: `aws cloudformation describe-stacks --stack-name {stack}` tells "
                             "when it is done")
        time.sleep(POLL_SECONDS)


def deploy(aws: Any, request: DeployRequest, *, confirm: Callable[[str], bool],
           say: Callable[[str], None]) -> bool:
    """The whole deploy; False when the change set was declined (nothing executed)."""
    from mcpauth_wizard.monitor.template import text

    cf = aws.client("cloudformation")
    existing = _stack(cf, request.stack)
    status = existing["StackStatus"] if existing else None
    if existing is not None:  # any state, REVIEW_IN_PROGRESS too: a decline would delete it
        _refuse_foreign(existing, request.stack, "changed")
    if status == "ROLLBACK_COMPLETE":
        raise AwsProblem(f"stack {request.stack} is ROLLBACK_COMPLETE (its create failed): "
                         f"`mcpauth monitor remove --stack-name {request.stack}` deletes it, then deploy again")
    if status and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise AwsProblem(f"stack {request.stack} is {status}: wait until it is done, then deploy again")
    kind = "UPDATE" if status and status != "REVIEW_IN_PROGRESS" else "CREATE"
    previous = ({p["ParameterKey"]: p.get("ParameterValue", "") for p in existing.get("Parameters") or []}
                if kind == "UPDATE" and existing is not None else None)
    key = _code(aws, request, say)
    deadline = time.monotonic() + request.timeout
    name = f"mcpauth-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    created = cf.create_change_set(
        StackName=request.stack, ChangeSetName=name, ChangeSetType=kind, TemplateBody=text(),
        Parameters=request.parameters(key, previous), Capabilities=CAPABILITIES,
        Description="mcpauth monitor deploy", Tags=[TAG])
    change_set = created["Id"]
    described = _wait_change_set(cf, change_set, deadline)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason") or "no reason given"
        _discard(cf, request.stack, change_set, kind)
        if any(s in reason for s in _NO_CHANGES):
            say(f"Stack {request.stack} already matches: nothing to change.")
            return True
        raise AwsProblem(f"CloudFormation refused the change set: {reason}")
    if not described.get("Changes") and request.unchanged(key, previous):
        # no resource change and every parameter as deployed (CloudFormation itself then
        # refuses the change set as FAILED, above; a stand-in that accepts it: the same)
        _discard(cf, request.stack, change_set, kind)
        say(f"Stack {request.stack} already matches: nothing to change.")
        return True
    say(f"Change set {name} for stack {request.stack} ({kind.lower()}, region {aws.region_name}):")
    for line in change_lines(described):
        say(line)
    if previous is not None:
        for line in parameter_lines(request, key, previous):
            say(line)
    if not confirm(f"Execute this change set on stack {request.stack}?"):
        _discard(cf, request.stack, change_set, kind)
        return False
    seen = _event_ids(cf, request.stack)
    cf.execute_change_set(ChangeSetName=change_set)
    say(f"Executing; waiting for stack {request.stack} (at most {request.timeout} s) …")
    final = _wait_stack(cf, request.stack, deadline, say, seen=seen)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in (_stack(cf, request.stack) or {}).get("Outputs") or []}
    say(f"Stack {request.stack}: {final}.")
    for key_name, value in outputs.items():
        say(f"  {key_name}: {value}")
    if request.email:
        say(f"Confirm the subscription e-mail AWS SNS sends to {request.email}: alarms reach it only then.")
    return True


def remove(aws: Any, stack: str, timeout: int, *, confirm: Callable[[str], bool],
           say: Callable[[str], None]) -> bool:
    """Delete the stack (and the drift snapshots its bucket holds) after consent; False when
    declined. No stack: nothing to do."""
    cf = aws.client("cloudformation")
    found = _stack(cf, stack)
    if found is None:
        say(f"No stack {stack} in {aws.region_name}: nothing to remove.")
        return True
    _refuse_foreign(found, stack, "deleted")
    resources = cf.list_stack_resources(StackName=stack).get("StackResourceSummaries") or []
    bucket = next((r.get("PhysicalResourceId") for r in resources
                   if r.get("LogicalResourceId") == "StateBucket" and r.get("PhysicalResourceId")), None)
    objects = _bucket_keys(aws, bucket) if bucket else []
    params = {p["ParameterKey"]: p.get("ParameterValue") for p in found.get("Parameters") or []}
    say(f"Stack {stack} ({found['StackStatus']}, region {aws.region_name}) would be deleted:")
    for r in resources:
        if r.get("LogicalResourceId"):
            say(f"  - Remove  {r.get('ResourceType', '?'):<32} {r['LogicalResourceId']}")
    if bucket:
        say(f"  and the {len(objects)} drift snapshot(s) in s3://{bucket}")
    if not confirm(f"Delete stack {stack}?"):
        return False
    deadline = time.monotonic() + timeout  # from the consent on: the time at the prompt is not CloudFormation's
    if objects:
        s3 = aws.client("s3")
        for start in range(0, len(objects), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in objects[start:start + 1000]],
                                                     "Quiet": True})
    seen = _event_ids(cf, stack)
    cf.delete_stack(StackName=stack)
    _wait_stack(cf, stack, deadline, say, seen=seen, deleting=True)
    say(f"Stack {stack} deleted.")
    if params.get("CodeBucket") and params.get("CodeKey"):
        say(f"The package s3://{params['CodeBucket']}/{params['CodeKey']} is left in your bucket.")
    return True


def _bucket_keys(aws: Any, bucket: str) -> list[str]:
    try:
        pages = aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [o["Key"] for page in pages for o in page.get("Contents") or ()]
    except Exception as exc:  # noqa: BLE001 - a bucket already gone holds nothing
        if "NoSuchBucket" in str(exc):
            return []
        raise
