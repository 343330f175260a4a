"""Signing keys, access tokens (RS256 JWT) and refresh tokens (opaque, rotating).

Access tokens live ten minutes. A key rotation signs new tokens with a new
key while the retired key's public half stays in the JWKS until every token
it signed has expired, so nobody is logged out by a rotation.

Refresh tokens are random strings stored only as SHA-256. Each use rotates
it: the presented token is marked rotated and a new one of the same family
is issued. Presenting a rotated (or revoked) token again means it leaked: the
whole family is revoked.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.tenant.models import RefreshToken, SigningKey
from shared import SERVICES
from shared.auth.verify import PLATFORM_TID, audience_for
from shared.secrets import Vault

log = structlog.get_logger(__name__)

ACCESS_TTL = timedelta(minutes=10)
REFRESH_TTL = timedelta(days=30)
KEY_OVERLAP = ACCESS_TTL + timedelta(minutes=1)  # covers verifiers' clock leeway
# A new key is published this long before it signs anything, so that every
# verifier (cache TTL aside, a refresh on the unknown kid and the JWKS's
# 60 s HTTP cache) already holds it when the first token it signed arrives.
KEY_LEAD = timedelta(seconds=90)
ALL_AUDIENCES = tuple(audience_for(s) for s in SERVICES)


@dataclass(frozen=True)
class Principal:
    """Who a token is for: an account, an operator or a machine client."""

    subject: str
    kind: str  # "account", "operator" or "client"
    roles: tuple[str, ...]
    tenant_id: str | None
    family_id: str | None = None  # set when a refresh token is being rotated

    @property
    def tid(self) -> str:
        return self.tenant_id or PLATFORM_TID


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class KeyRing:
    """The RS256 keys: the newest unretired one signs, the JWKS lists the rest."""

    def __init__(self, vault: Vault, issuer: str) -> None:
        self.vault = vault
        self.issuer = issuer
        self._private: dict[str, Any] = {}
        self._lock = threading.Lock()

    def create_key(self, session: Session, now: datetime | None = None) -> SigningKey:
        now = now or datetime.now(UTC)
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = now.strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(4)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
        public.update({"kid": kid, "use": "sig", "alg": "RS256"})
        key = SigningKey(
            kid=kid,
            private_key=self.vault.encrypt(pem),
            public_jwk=public,
            created_at=now,
        )
        session.add(key)
        return key

    def rotate(self, session: Session, now: datetime | None = None) -> SigningKey:
        """A new key, published now and signing after KEY_LEAD.

        The current key keeps signing until then (its ``retired_at``), and
        stays in the JWKS for KEY_OVERLAP after that, until every token it
        signed has expired: nobody is logged out by a rotation.
        """
        now = now or datetime.now(UTC)
        session.execute(
            update(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .values(retired_at=now + KEY_LEAD)
        )
        key = self.create_key(session, now)
        log.info("signing_key_rotated", kid=key.kid, signs_from=now + KEY_LEAD)
        return key

    def signing_key(
        self, session: Session, now: datetime | None = None
    ) -> tuple[str, Any]:
        """The newest key published for KEY_LEAD, else the longest published."""
        now = now or datetime.now(UTC)
        candidates = [
            key
            for key in session.scalars(
                select(SigningKey).order_by(SigningKey.created_at.desc())
            )
            if key.retired_at is None or _utc(key.retired_at) > now
        ]
        seasoned = [k for k in candidates if _utc(k.created_at) <= now - KEY_LEAD]
        key = seasoned[0] if seasoned else (candidates[-1] if candidates else None)
        if key is None:
            key = self.create_key(session, now)
            session.flush()
        with self._lock:
            private = self._private.get(key.kid)
            if private is None:
                private = serialization.load_pem_private_key(
                    self.vault.decrypt(key.private_key).encode(), password=None
                )
                self._private[key.kid] = private
        return key.kid, private

    def jwks(self, session: Session, now: datetime | None = None) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        keys = []
        for key in session.scalars(select(SigningKey).order_by(SigningKey.created_at)):
            if key.retired_at is None or _utc(key.retired_at) + KEY_OVERLAP > now:
                keys.append(dict(key.public_jwk))
        return {"keys": keys}

    def access_token(
        self,
        session: Session,
        principal: Principal,
        audiences: tuple[str, ...] = ALL_AUDIENCES,
        now: datetime | None = None,
    ) -> str:
        now = now or datetime.now(UTC)
        kid, private = self.signing_key(session, now)
        claims = {
            "iss": self.issuer,
            "sub": principal.subject,
            "aud": list(audiences),
            "iat": int(now.timestamp()),
            "exp": int((now + ACCESS_TTL).timestamp()),
            "tid": principal.tid,
            "roles": list(principal.roles),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_refresh_token(
    session: Session, principal: Principal, client_id: str, scope: str = ""
) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(
        RefreshToken(
            token_hash=_digest(token),
            family_id=principal.family_id or str(uuid.uuid4()),
            tenant_id=principal.tenant_id,
            subject=principal.subject,
            subject_kind=principal.kind,
            client_id=client_id,
            scope=scope or "",
            issued_at=now,
            expires_at=now + REFRESH_TTL,
        )
    )
    return token


def find_refresh_token(session: Session, token: str) -> RefreshToken | None:
    return session.get(RefreshToken, _digest(token))


class RefreshTokenReused(Exception):
    """A rotated or revoked refresh token came back: its family is revoked."""


def usable_refresh_token(session: Session, token: str) -> RefreshToken | None:
    """The stored token if it may be used now; reuse revokes the family.

    The revocation is committed here, before the caller answers with an
    error, so that a stolen family stays dead whatever the caller does next.
    """
    row = find_refresh_token(session, token)
    if row is None:
        return None
    if row.rotated_at is not None or row.revoked_at is not None:
        revoke_family(session, row.family_id)
        session.commit()
        log.warning(
            "refresh_token_reuse_detected",
            family_id=row.family_id,
            tenant_id=row.tenant_id,
        )
        raise RefreshTokenReused(row.family_id)
    if _utc(row.expires_at) <= datetime.now(UTC):
        return None
    return row


def revoke_family(session: Session, family_id: str) -> int:
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return result.rowcount or 0
