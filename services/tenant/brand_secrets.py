"""A brand's secrets: encrypted at rest, shown masked, re-encrypted on rotation.

Payment provider credentials, Contentful tokens, webhook secrets. No API and
no log line carries a value in full: answers show the last four characters.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import select

from services.tenant import audit
from services.tenant.audit import Actor
from services.tenant.errors import SecretNotFound
from services.tenant.models import Brand, BrandSecret, SigningKey
from services.tenant.wiring import Wiring
from shared.secrets import mask

log = structlog.get_logger(__name__)


def put_secret(w: Wiring, brand: Brand, name: str, value: str, actor: Actor) -> dict:
    session = w.db.session
    row = session.get(BrandSecret, (brand.id, name))
    before = {"value": mask(w.vault.decrypt(row.ciphertext))} if row else None
    if row is None:
        row = BrandSecret(tenant_id=brand.id, name=name)
        session.add(row)
    row.ciphertext = w.vault.encrypt(value)
    row.last4 = value[-4:] if len(value) > 8 else ""
    row.updated_at = datetime.now(UTC)
    audit.record(
        session,
        actor,
        "secret.put",
        f"secret:{name}",
        tenant_id=brand.id,
        before=before,
        after={"value": mask(value)},
    )
    session.commit()
    return secret_view(row)


def secret_view(row: BrandSecret) -> dict:
    return {
        "name": row.name,
        "value": "…" + row.last4 if row.last4 else "…",
        "updated_at": row.updated_at.isoformat(),
    }


def list_secrets(w: Wiring, brand: Brand) -> list[dict]:
    rows = w.db.session.scalars(
        select(BrandSecret)
        .where(BrandSecret.tenant_id == brand.id)
        .order_by(BrandSecret.name)
    )
    return [secret_view(row) for row in rows]


def reveal_secret(w: Wiring, tenant_id: str, name: str) -> str:
    """The plaintext, for in-process use only (a provider call); never an API."""
    row = w.db.session.get(BrandSecret, (tenant_id, name))
    if row is None:
        raise SecretNotFound(f"no secret named {name}")
    return w.vault.decrypt(row.ciphertext)


def rotate_secrets(w: Wiring) -> int:
    """Re-encrypt every brand secret and signing key with the first key."""
    session = w.db.session
    count = 0
    for row in session.scalars(select(BrandSecret)):
        row.ciphertext = w.vault.rotate(row.ciphertext)
        count += 1
    for key in session.scalars(select(SigningKey)):
        key.private_key = w.vault.rotate(key.private_key)
        count += 1
    session.commit()
    log.info("secrets_rotated", count=count)
    return count
