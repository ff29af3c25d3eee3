"""Where the OAuth proxy keeps its state: one DynamoDB table, shared by every instance.

FastMCP's OAuth proxy remembers registered clients, open authorizations, codes and
tokens. Its default store is a folder on local disk: on Lambda that folder is lost at
every cold start and is not shared between concurrent instances, so sign-ins fail at
random and registered clients vanish. This module gives it a store every instance
shares, and reads the encryption and signing keys from Secrets Manager.

What the table holds, and why it is safe to share:
- Keys are HMAC-SHA256 of FastMCP's keys (authorization codes, token ids, client ids)
  under a key derived from the storage secret: the table never holds a usable code or id.
- Values are Fernet-encrypted (`encrypted_state_store`).
- Every item has an expiry in `ttl`: FastMCP's own, else `MAX_LIFETIME`; registered
  clients live `CLIENT_IDLE_LIFETIME` after their last use.
- An authorization code is deleted with a condition, so of two instances redeeming the
  same code at once exactly one succeeds (`RedeemOnceCognitoProvider`).
- Dynamic client registrations are capped per hour, per source and in all, across all
  instances, and checked for size, client_name length and fragments (`RegistrationCap`);
  a registration nobody uses is gone after a day.

The table layout is the one of py-key-value's DynamoDBStore (partition key
`collection`, sort key `key`, the JSON in `value`, expiry epoch in `ttl`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from fastmcp.server.auth.oauth_proxy.proxy import TokenError
from fastmcp.server.auth.providers.aws import AWSCognitoProvider
from key_value.aio._utils.managed_entry import ManagedEntry
from key_value.aio.protocols import AsyncKeyValue
from key_value.aio.stores.base import BaseStore

CLIENTS = "mcp-oauth-proxy-clients"  # FastMCP's collection of dynamically registered clients
CODES = "mcp-authorization-codes"  # FastMCP's collection of authorization codes it issued
REGISTRATION_COUNTS = "registrations-per-hour"  # this module's counters (RegistrationCap)
CLIENT_IDLE_LIFETIME = timedelta(days=30)  # a registered client unused this long is forgotten
CLIENT_UNUSED_LIFETIME = timedelta(days=1)  # one registered and never used again: a day
MAX_REGISTRATION_BYTES = 16_384  # a registration request (RFC 7591 metadata) is small
MAX_CLIENT_NAME = 256  # characters of client_name
MAX_LIFETIME = timedelta(days=90)  # for anything FastMCP stores without an expiry of its own
_REFRESH_AFTER = timedelta(days=1)  # refresh a client's expiry at most daily: one write a day


class DynamoDBStateStore(BaseStore):
    """An AsyncKeyValue store on one DynamoDB table, through boto3 (in the Lambda runtime).

    `key_secret`: HMAC key for the table's keys (without it keys are stored as given).
    """

    def __init__(self, *, table_name: str, client: Any = None,
                 default_collection: str | None = None, key_secret: bytes | None = None,
                 idle_lifetimes: dict[str, timedelta] | None = None,
                 max_lifetime: timedelta = MAX_LIFETIME) -> None:
        self._table_name = table_name
        self._client = client
        self._key_secret = key_secret
        self._idle_lifetimes = {CLIENTS: CLIENT_IDLE_LIFETIME} if idle_lifetimes is None else idle_lifetimes
        self._max_lifetime = max_lifetime
        super().__init__(default_collection=default_collection, stable_api=True)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb")
        return self._client

    def table_key(self, key: str) -> str:
        """The key as stored: HMAC-SHA256 (hex) under the key secret."""
        if self._key_secret is None:
            return key
        return hmac.new(self._key_secret, key.encode(), hashlib.sha256).hexdigest()

    def _item_key(self, collection: str, key: str) -> dict[str, Any]:
        return {"collection": {"S": collection}, "key": {"S": self.table_key(key)}}

    async def _call(self, operation: str, **params: Any) -> Any:
        """One DynamoDB call in a worker thread; a failed condition answers None."""
        def call() -> Any:
            try:
                return getattr(self.client, operation)(TableName=self._table_name, **params)
            except self.client.exceptions.ConditionalCheckFailedException:
                return None
        return await anyio.to_thread.run_sync(call)

    async def _get_managed_entry(self, *, key: str, collection: str) -> ManagedEntry | None:
        # Strongly consistent: a value written by another instance a moment ago must be seen.
        response = await self._call("get_item", Key=self._item_key(collection, key), ConsistentRead=True)
        item = response.get("Item") or {}
        json_value = item.get("value", {}).get("S")
        if not json_value:
            return None
        entry = self._serialization_adapter.load_json(json_str=json_value)
        expires = item.get("ttl", {}).get("N")
        if expires:  # DynamoDB deletes expired items late (up to days): the ttl decides
            entry.expires_at = datetime.fromtimestamp(int(expires), tz=UTC)
        idle = self._idle_lifetimes.get(collection)
        if idle and not entry.is_expired:
            entry.expires_at = await self._refresh_expiry(collection, key, entry.expires_at, idle)
        return entry

    async def _refresh_expiry(self, collection: str, key: str, expires_at: datetime | None,
                              idle: timedelta) -> datetime | None:
        """Used now, so kept for `idle` from now (written at most once a day per item)."""
        renewed = datetime.now(tz=UTC) + idle
        if expires_at is not None and renewed - expires_at < _REFRESH_AFTER:
            return expires_at
        # The condition keeps a refresh from bringing back an item another instance deleted.
        await self._call("update_item", Key=self._item_key(collection, key),
                         UpdateExpression="SET #ttl = :ttl",
                         ConditionExpression="attribute_exists(#key)",
                         ExpressionAttributeNames={"#ttl": "ttl", "#key": "key"},
                         ExpressionAttributeValues={":ttl": {"N": str(int(renewed.timestamp()))}})
        return renewed

    def _expiry(self, collection: str, entry: ManagedEntry) -> datetime:
        if entry.expires_at is not None:
            return entry.expires_at
        if collection == CLIENTS and collection in self._idle_lifetimes:
            # a new registration lives a day; its first use renews it for the idle lifetime, so
            # registrations nobody uses cannot fill the table for a month
            return datetime.now(tz=UTC) + min(CLIENT_UNUSED_LIFETIME, self._idle_lifetimes[collection])
        lifetime = self._idle_lifetimes.get(collection, self._max_lifetime)
        return datetime.now(tz=UTC) + lifetime

    async def _put_managed_entry(self, *, key: str, collection: str,
                                 managed_entry: ManagedEntry) -> None:
        item: dict[str, Any] = {
            **self._item_key(collection, key),
            # without key and collection: the document would carry the key in the clear
            "value": {"S": self._serialization_adapter.dump_json(entry=managed_entry)},
            "ttl": {"N": str(int(self._expiry(collection, managed_entry).timestamp()))},
        }
        await self._call("put_item", Item=item)

    async def _delete_managed_entry(self, *, key: str, collection: str) -> bool:
        """True only for the one caller whose delete removed the item (atomic in DynamoDB)."""
        response = await self._call("delete_item", Key=self._item_key(collection, key),
                                    ConditionExpression="attribute_exists(#key)",
                                    ExpressionAttributeNames={"#key": "key"})
        return response is not None

    async def count_registration(self, limit: int, window: timedelta, source: str = "") -> float | None:
        """Count one registration in the current window, shared by all instances (for one
        `source` address, or for all when it is "").

        None when it is allowed; the seconds until the next window when `limit` is reached.
        """
        seconds = int(window.total_seconds())
        start = int(time.time()) // seconds * seconds
        key = str(start) if not source else f"{start}:{self.table_key(source)}"
        counted = await self._call(
            "update_item", Key={"collection": {"S": REGISTRATION_COUNTS}, "key": {"S": key}},
            UpdateExpression="ADD #count :one SET #ttl = :ttl",
            ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
            ExpressionAttributeNames={"#count": "registrations", "#ttl": "ttl"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": str(limit)},
                                       ":ttl": {"N": str(start + 2 * seconds)}})
        return None if counted is not None else max(1.0, start + seconds - time.time())


class CodeAlreadyRedeemed(LookupError):
    """Another request deleted (redeemed) this authorization code first."""


class _RedeemOnce:
    """FastMCP's code store, whose delete tells when the code was taken by someone else.

    FastMCP reads a code, then deletes it, and ignores whether the delete removed anything;
    with the conditional delete of DynamoDBStateStore, only one request's delete does.
    """

    def __init__(self, codes: Any) -> None:
        self._codes = codes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._codes, name)

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        if not await self._codes.delete(key=key, collection=collection):
            raise CodeAlreadyRedeemed(key)
        return True


class RedeemOnceCognitoProvider(AWSCognitoProvider):
    """AWSCognitoProvider whose authorization codes are redeemed once across all instances."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not hasattr(self, "_code_store"):  # pinned FastMCP (requirements.txt) has it
            raise RuntimeError("this FastMCP version keeps codes elsewhere: review oauth_state.py")
        self._code_store = _RedeemOnce(self._code_store)

    async def load_authorization_code(self, client: Any, authorization_code: str) -> Any:
        try:
            return await super().load_authorization_code(client, authorization_code)
        except CodeAlreadyRedeemed:  # an expired code that another request removed
            return None

    async def exchange_authorization_code(self, client: Any, authorization_code: Any) -> Any:
        try:
            return await super().exchange_authorization_code(client, authorization_code)
        except CodeAlreadyRedeemed:  # raised before any token is stored or issued
            raise TokenError("invalid_grant", "authorization code was already used") from None


class RegistrationCap:
    """ASGI middleware in front of POST /register (dynamic client registration):

    - at most `per_source` registrations an hour from one address and `per_hour` from all,
      counted in the shared table (429 with Retry-After beyond), so one source cannot use up
      what real MCP clients need;
    - a request larger than MAX_REGISTRATION_BYTES, a client_name over MAX_CLIENT_NAME
      characters or a redirect URI with a fragment (RFC 6749 §3.1.2) is refused with 400
      naming the limit (RFC 7591 §3.2.2 errors), before FastMCP reads it;
    - registered clients live a day unless used, then CLIENT_IDLE_LIFETIME after their last use.
    """

    def __init__(self, app: Any, *, store: DynamoDBStateStore, per_hour: int, per_source: int = 10) -> None:
        self.app = app
        self.store = store
        self.per_hour = per_hour
        self.per_source = per_source

    @staticmethod
    async def _send(send: Any, status: int, document: dict[str, str],
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
        body = json.dumps(document).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            *(headers or [])]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _source(scope: dict[str, Any]) -> str:
        """The caller's address: the Function URL's sourceIp (scope client), else the first
        X-Forwarded-For hop; an IPv6 caller by its /64."""
        import ipaddress

        address = ""
        client = scope.get("client")
        if client and client[0]:
            address = str(client[0])
        else:
            for name, value in scope.get("headers") or []:
                if name.lower() == b"x-forwarded-for":
                    address = value.decode("latin-1").split(",")[0].strip()
        try:  # one IPv6 caller holds a whole /64: count the network, not each address
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return address or "unknown"
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else str(parsed)

    @staticmethod
    def _problem(body: bytes) -> tuple[str, str] | None:
        """(error, description) for metadata refused before FastMCP sees it, else None."""
        try:
            metadata = json.loads(body or b"{}")
        except (ValueError, RecursionError):
            return "invalid_client_metadata", "the registration request is not JSON (or nests too deeply)"
        if not isinstance(metadata, dict):
            return "invalid_client_metadata", "the registration request is not a JSON object"
        name = metadata.get("client_name")
        if isinstance(name, str) and len(name) > MAX_CLIENT_NAME:
            return ("invalid_client_metadata",
                    f"client_name is {len(name)} characters; at most {MAX_CLIENT_NAME} are accepted")
        uris = metadata.get("redirect_uris")
        for uri in uris if isinstance(uris, list) else []:
            if isinstance(uri, str) and "#" in uri:
                return ("invalid_redirect_uri",
                        f"redirect URI {uri[:100]!r} has a fragment (RFC 6749 §3.1.2 forbids one)")
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/register"):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:  # read within the limit: more is refused, not held
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_REGISTRATION_BYTES:
                await self._send(send, 400, {"error": "invalid_client_metadata", "error_description":
                                             f"the registration request is larger than "
                                             f"{MAX_REGISTRATION_BYTES} bytes"})
                return
            if not message.get("more_body"):
                break
        problem = self._problem(body)
        if problem is not None:
            await self._send(send, 400, {"error": problem[0], "error_description": problem[1]})
            return
        for limit, source in ((self.per_source, self._source(scope)), (self.per_hour, "")):
            wait = await self.store.count_registration(limit, timedelta(hours=1), source)
            if wait is not None:
                who = "from this address" if source else "in all"
                await self._send(send, 429, {"error": "temporarily_unavailable", "error_description":
                                             f"too many client registrations {who}; retry in {int(wait)} s"},
                                 [(b"retry-after", str(int(wait)).encode())])
                return
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def read_secret(reference: str) -> str:
    """A secret's value from `secretsmanager:<name or ARN>` (the role may read only those
    template.yaml names). Surrounding whitespace is dropped: a value put from a file or a
    pipe often ends in a newline."""
    import boto3

    kind, _, name = reference.partition(":")
    if kind == "secretsmanager" and name:
        value = boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
        return value.strip()
    raise ValueError(f"secret reference {reference!r}: expected secretsmanager:<name or ARN>")


def derived_key(material: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, base64url-encoded (a Fernet key; ASCII, so FastMCP
    can also decode it as text), from high-entropy material (a generated secret)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"{purpose}\0{material}".encode()).digest())


def state_store(table_name: str, storage_key: str) -> DynamoDBStateStore:
    """The shared table, its keys HMAC'd with a key derived from the storage secret."""
    return DynamoDBStateStore(table_name=table_name, key_secret=derived_key(storage_key, "table-keys"))


def encrypted_state_store(table_name: str, storage_key: str) -> AsyncKeyValue:
    """The shared table, each value Fernet-encrypted with a key from the storage secret."""
    from cryptography.fernet import Fernet
    from key_value.aio.wrappers.encryption import FernetEncryptionWrapper

    fernet = Fernet(derived_key(storage_key, "oauth-state"))
    # A value that does not decrypt (rotated key) reads as absent: the client signs in again.
    return FernetEncryptionWrapper(state_store(table_name, storage_key), fernet=fernet,
                                   raise_on_decryption_error=False)


def required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"environment variable {name} is not set (see template.yaml)")
    return value
