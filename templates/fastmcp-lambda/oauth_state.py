"""Where the OAuth proxy keeps its state: one DynamoDB table, every value Fernet-encrypted.

FastMCP's OAuth proxy remembers registered clients, open authorizations, codes and
tokens. Its default store is a folder on local disk: on Lambda that folder is lost at
every cold start and is not shared between concurrent instances, so sign-ins fail at
random and registered clients vanish. This module gives it a store every instance
shares, and reads the encryption and signing keys from Secrets Manager or SSM.

The table layout is the one of py-key-value's DynamoDBStore (partition key
`collection`, sort key `key`, the JSON in `value`, expiry epoch in `ttl`), so the
library store can replace this one when aiobotocore fits your environment.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from key_value.aio._utils.managed_entry import ManagedEntry
from key_value.aio.protocols import AsyncKeyValue
from key_value.aio.stores.base import BaseStore


class DynamoDBStateStore(BaseStore):
    """An AsyncKeyValue store on one DynamoDB table, through boto3 (in the Lambda runtime)."""

    def __init__(self, *, table_name: str, client: Any = None,
                 default_collection: str | None = None) -> None:
        self._table_name = table_name
        self._client = client
        super().__init__(default_collection=default_collection, stable_api=True)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb")
        return self._client

    async def _get_managed_entry(self, *, key: str, collection: str) -> ManagedEntry | None:
        # Strongly consistent: a value written by another instance a moment ago must be seen.
        response = await anyio.to_thread.run_sync(lambda: self.client.get_item(
            TableName=self._table_name,
            Key={"collection": {"S": collection}, "key": {"S": key}},
            ConsistentRead=True,
        ))
        item = response.get("Item") or {}
        json_value = item.get("value", {}).get("S")
        if not json_value:
            return None
        entry = self._serialization_adapter.load_json(json_str=json_value)
        expires = item.get("ttl", {}).get("N")
        if expires:  # DynamoDB deletes expired items late (up to days): the ttl decides
            entry.expires_at = datetime.fromtimestamp(int(expires), tz=UTC)
        return entry

    async def _put_managed_entry(self, *, key: str, collection: str,
                                 managed_entry: ManagedEntry) -> None:
        item: dict[str, Any] = {
            "collection": {"S": collection},
            "key": {"S": key},
            "value": {"S": self._serialization_adapter.dump_json(
                entry=managed_entry, key=key, collection=collection)},
        }
        if managed_entry.expires_at is not None:
            item["ttl"] = {"N": str(int(managed_entry.expires_at.timestamp()))}
        await anyio.to_thread.run_sync(
            lambda: self.client.put_item(TableName=self._table_name, Item=item))

    async def _delete_managed_entry(self, *, key: str, collection: str) -> bool:
        response = await anyio.to_thread.run_sync(lambda: self.client.delete_item(
            TableName=self._table_name,
            Key={"collection": {"S": collection}, "key": {"S": key}},
            ReturnValues="ALL_OLD",
        ))
        return bool(response.get("Attributes"))


def read_secret(reference: str) -> str:
    """A secret's value from `ssm:/parameter/name` or `secretsmanager:<name or ARN>`."""
    import boto3

    kind, _, name = reference.partition(":")
    if kind == "ssm" and name:
        found = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)
        return found["Parameter"]["Value"]
    if kind == "secretsmanager" and name:
        return boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    raise ValueError(f"secret reference {reference!r}: expected ssm:/name or secretsmanager:name")


def derived_key(material: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, base64url-encoded (a Fernet key; ASCII, so FastMCP
    can also decode it as text), from high-entropy material (a generated secret)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"{purpose}\0{material}".encode()).digest())


def encrypted_state_store(table_name: str, storage_key: str) -> AsyncKeyValue:
    """The shared table, each value Fernet-encrypted with a key from the storage secret."""
    from cryptography.fernet import Fernet
    from key_value.aio.wrappers.encryption import FernetEncryptionWrapper

    fernet = Fernet(derived_key(storage_key, "oauth-state"))
    # A value that does not decrypt (rotated key) reads as absent: the client signs in again.
    return FernetEncryptionWrapper(DynamoDBStateStore(table_name=table_name), fernet=fernet,
                                   raise_on_decryption_error=False)


def required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"environment variable {name} is not set (see template.yaml)")
    return value
