"""Where the monitor keeps each gateway's last good snapshot (doctor/drift.py): an S3 bucket in
the deployed stack, a local folder for `mcpauth monitor run-once --state DIR`.

One JSON object per gateway: `snapshots/<region>/<gateway id>.json`. The S3 store lists its
prefix once per run (ListObjectsV2) and reads only what exists, so a first run needs no
permission beyond its own bucket's (and a missing key is never an AccessDenied).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

from mcpauth_wizard.core.errors import BadInput
from mcpauth_wizard.monitor.iam import SNAPSHOT_PREFIX

_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


SNAPSHOT_LIMIT = 256 * 1024  # bytes read of one snapshot at most (one is about 1 KB)


def key_of(region: str, gateway_id: str) -> str:
    for part in (region, gateway_id):
        if not _PART.match(part) or ".." in part:
            raise ValueError(f"not a region or gateway id: {part!r}")
    return f"{SNAPSHOT_PREFIX}{region}/{gateway_id}.json"


def _decode(data: bytes | str) -> dict[str, Any] | None:
    """A snapshot read within SNAPSHOT_LIMIT (callers read one byte more to tell)."""
    if len(data) > SNAPSHOT_LIMIT:
        return None  # not one of ours (a snapshot is about a kilobyte): no baseline
    try:
        found = json.loads(data)
    except ValueError:
        return None  # a damaged snapshot is no baseline: the next good run writes a new one
    return found if isinstance(found, dict) else None


def _encode(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":")) + "\n"


class Store(Protocol):
    where: str

    def load(self, region: str, gateway_id: str) -> dict[str, Any] | None: ...

    def save(self, region: str, gateway_id: str, snapshot: dict[str, Any]) -> None: ...


class FolderStore:
    """Snapshots under a local folder (made on first save)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise BadInput(f"--state {root}: that is a file; accepted: a folder (made if missing)")
        self.where = str(self.root)

    def load(self, region: str, gateway_id: str) -> dict[str, Any] | None:
        path = self.root / key_of(region, gateway_id)
        if not path.is_file():
            return None
        with path.open("rb") as snapshot:
            return _decode(snapshot.read(SNAPSHOT_LIMIT + 1))

    def save(self, region: str, gateway_id: str, snapshot: dict[str, Any]) -> None:
        from mcpauth_wizard.core.files import write_atomic

        path = self.root / key_of(region, gateway_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _encode(snapshot), "--state")


class S3Store:
    """Snapshots in the stack's bucket, through `aws` (an AwsContext: its observers hear it)."""

    def __init__(self, aws: Any, bucket: str) -> None:
        self.aws, self.bucket = aws, bucket
        self.where = f"s3://{bucket}/{SNAPSHOT_PREFIX}"
        self._keys: set[str] | None = None

    def _listed(self) -> set[str]:
        if self._keys is None:
            pages = self.aws.client("s3").get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=SNAPSHOT_PREFIX)
            self._keys = {o["Key"] for page in pages for o in page.get("Contents") or ()}
        return self._keys

    def load(self, region: str, gateway_id: str) -> dict[str, Any] | None:
        key = key_of(region, gateway_id)
        if key not in self._listed():
            return None
        body = self.aws.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"]
        return _decode(body.read(SNAPSHOT_LIMIT + 1))

    def save(self, region: str, gateway_id: str, snapshot: dict[str, Any]) -> None:
        key = key_of(region, gateway_id)
        self.aws.client("s3").put_object(Bucket=self.bucket, Key=key, Body=_encode(snapshot).encode(),
                                         ContentType="application/json")
        self._listed().add(key)
