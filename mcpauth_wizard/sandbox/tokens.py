"""The sandbox's signing key and Cognito-shaped tokens (RS256 JWTs)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Signer:
    """One RSA key for every sandbox pool (Cognito has one key set per pool, RS256 — guide,
    "Verifying a JSON Web Token"); one key for all pools is a simplification."""

    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    def __post_init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": self.kid, "alg": "RS256", "use": "sig"})

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def sign(self, claims: dict[str, Any]) -> str:
        from joserfc import jwt

        return jwt.encode({"alg": "RS256", "kid": self.kid, "typ": "JWT"}, claims, self.key)

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of a token this signer made (signature only; callers check the rest)."""
        from joserfc import jwt

        return dict(jwt.decode(token, self.key, algorithms=["RS256"]).claims)


def access_claims(*, issuer: str, client_id: str, sub: str, username: str, scope: str,
                  resource: str | None, lifetime: int = 3600) -> dict[str, Any]:
    """An access token's claims as Cognito writes them (Cognito guide, "Understanding the
    access token": sub, iss, client_id, origin_jti, event_id, token_use, scope, auth_time,
    exp, iat, jti, username, version). No aud unless a resource was bound (guide, "Resource
    binding", RFC 8707 — AWS What's New, Oct 2025)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub, "iss": issuer, "client_id": client_id, "origin_jti": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()), "token_use": "access", "scope": scope, "auth_time": now,
        "exp": now + lifetime, "iat": now, "jti": str(uuid.uuid4()), "username": username,
        "version": 2,
    }
    if resource:
        claims["aud"] = resource
    return claims


def id_claims(*, issuer: str, client_id: str, sub: str, username: str, email: str | None,
              nonce: str | None, lifetime: int = 3600) -> dict[str, Any]:
    """An ID token's claims (guide, "Understanding the identity (ID) token": aud is the
    client id, cognito:username, nonce echoed)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub, "aud": client_id, "iss": issuer, "token_use": "id", "auth_time": now,
        "exp": now + lifetime, "iat": now, "jti": str(uuid.uuid4()), "cognito:username": username,
    }
    if email:
        claims.update(email=email, email_verified=True)
    if nonce:
        claims["nonce"] = nonce
    return claims
