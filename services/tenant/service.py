"""Brands: create, change, suspend and resume; each use case owns its transaction.

Every write is audited in the same transaction and announced through the
provisioning module's publisher (an outbox row once the bus is merged).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.tenant import audit, provisioning
from services.tenant.audit import Actor
from services.tenant.brand_fields import check_brand_fields, merged_settings
from services.tenant.errors import BrandNotFound, SlugImmutable, SlugTaken
from services.tenant.models import ACTIVE, PROVISIONING, SUSPENDED, Brand, OAuthClient
from services.tenant.wiring import Wiring
from shared.db.migrate import upgrade_tenant

log = structlog.get_logger(__name__)

BRAND_FIELDS = (
    "slug",
    "name",
    "custom_domains",
    "locale",
    "languages",
    "currency",
    "tax",
    "theme",
    "payment_providers",
    "features",
    "settings",
)
AUDITED = ("slug", "name", "status", *BRAND_FIELDS[2:])


def brand_view(brand: Brand) -> dict[str, Any]:
    return {
        "id": brand.id,
        "slug": brand.slug,
        "name": brand.name,
        "custom_domains": list(brand.domains or []),
        "locale": brand.locale,
        "languages": list(brand.languages or []),
        "currency": brand.currency,
        "tax": dict(brand.tax or {}),
        "theme": dict(brand.theme or {}),
        "payment_providers": list(brand.payment_providers or []),
        "features": dict(brand.features or {}),
        "settings": dict(brand.settings or {}),
        "status": brand.status,
        "pack_digest": brand.pack_digest,
        "created_at": brand.created_at.isoformat(),
        "updated_at": brand.updated_at.isoformat(),
    }


def _audited(brand: Brand) -> dict[str, Any]:
    view = brand_view(brand)
    return {key: view[key] for key in AUDITED}


def _check_unique(w: Wiring, slug: str, domains: list[str], brand_id: str | None):
    session = w.db.session
    for other in session.scalars(select(Brand).where(Brand.id != (brand_id or ""))):
        if other.slug == slug:
            raise SlugTaken(f"the slug {slug} is taken")
        clash = set(domains) & set(other.domains or [])
        if clash:
            raise SlugTaken(f"{sorted(clash)[0]} is already served for another brand")


def _apply(brand: Brand, data: dict[str, Any]) -> None:
    brand.name = data["name"]
    brand.domains = sorted({d.lower() for d in data.get("custom_domains") or []})
    brand.locale = data["locale"]
    brand.languages = list(data["languages"])
    brand.currency = data["currency"]
    brand.tax = dict(data["tax"])
    brand.theme = dict(data.get("theme") or {})
    brand.payment_providers = list(data["payment_providers"])
    brand.features = dict(data.get("features") or {})
    brand.settings = merged_settings(data.get("settings"))


def get_brand(w: Wiring, tenant_id: str) -> Brand:
    brand = w.db.session.get(Brand, tenant_id)
    if brand is None:
        raise BrandNotFound(f"no brand has the id {tenant_id}")
    return brand


def brand_by_slug(w: Wiring, slug: str) -> Brand | None:
    return w.db.session.scalars(select(Brand).where(Brand.slug == slug)).first()


def list_brands(w: Wiring, status: str | None = None) -> list[Brand]:
    query = select(Brand).order_by(Brand.slug)
    if status:
        query = query.where(Brand.status == status)
    return list(w.db.session.scalars(query))


BeforeCommit = Callable[[Brand], None]
"""More writes for the same transaction (an onboarding's section hand-offs)."""


def create_brand(
    w: Wiring,
    data: dict[str, Any],
    actor: Actor,
    pack_digest: str | None = None,
    before_commit: BeforeCommit | None = None,
) -> Brand:
    """Write the brand and its registry row, announce ``tenant.created``."""
    check_brand_fields(data)
    session = w.db.session
    _check_unique(w, data["slug"], data.get("custom_domains") or [], None)

    # The tenant service's own share of the brand: its schema (accounts).
    upgrade_tenant(w.db.engine, "tenant", data["slug"])

    now = datetime.now(UTC)
    brand = Brand(
        id=str(uuid.uuid4()),
        slug=data["slug"],
        status=PROVISIONING,
        pack_digest=pack_digest,
        provisioning_started_at=now,
        created_at=now,
        updated_at=now,
    )
    _apply(brand, data)
    session.add(brand)
    session.add(
        OAuthClient(
            client_id=f"{brand.slug}-web",
            tenant_id=brand.id,
            name=f"{brand.name} storefront (public)",
            secret_hash=None,
            grant_types=["password", "refresh_token"],
            roles=[],
            created_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError:  # another operator created the same slug just now
        session.rollback()
        raise SlugTaken(f"the slug {brand.slug} is taken") from None
    provisioning.sync_registry(session, w.registry, brand)
    audit.record(
        session,
        actor,
        "tenant.create",
        f"tenant:{brand.slug}",
        tenant_id=brand.id,
        after=_audited(brand),
    )
    provisioning.announce(session, w.publish, "tenant.created", brand)
    if before_commit:
        before_commit(brand)
    session.commit()
    log.info("tenant_created", tenant_id=brand.id, slug=brand.slug)
    return brand


def update_brand(
    w: Wiring,
    tenant_id: str,
    changes: dict[str, Any],
    actor: Actor,
    pack_digest: str | None = None,
    before_commit: BeforeCommit | None = None,
) -> Brand:
    session = w.db.session
    brand = get_brand(w, tenant_id)
    if "slug" in changes and changes["slug"] != brand.slug:
        raise SlugImmutable("the slug names the brand's schemas and cannot change")

    before = _audited(brand)
    current = {key: before[key] for key in BRAND_FIELDS}
    merged = {**current, **changes}
    if isinstance(changes.get("settings"), dict):
        merged["settings"] = {**current["settings"], **changes["settings"]}
    check_brand_fields(merged)
    _check_unique(w, brand.slug, merged.get("custom_domains") or [], brand.id)

    _apply(brand, merged)
    same_pack = pack_digest is None or pack_digest == brand.pack_digest
    brand.pack_digest = pack_digest or brand.pack_digest
    after = _audited(brand)
    if after == before and same_pack:
        if before_commit:
            before_commit(brand)
        session.commit()
        return brand

    brand.updated_at = datetime.now(UTC)
    provisioning.sync_registry(session, w.registry, brand)
    audit.record(
        session,
        actor,
        "tenant.update",
        f"tenant:{brand.slug}",
        tenant_id=brand.id,
        before=before,
        after=after,
    )
    provisioning.announce(session, w.publish, "tenant.updated", brand)
    if before_commit:
        before_commit(brand)
    session.commit()
    return brand


def _set_status(w: Wiring, tenant_id: str, actor: Actor, suspend: bool) -> Brand:
    session = w.db.session
    brand = get_brand(w, tenant_id)
    before = _audited(brand)
    if suspend:
        if brand.status == SUSPENDED:
            return brand
        brand.status = SUSPENDED
    else:
        if brand.status != SUSPENDED:
            return brand
        state = provisioning.provisioning_state(
            session, brand, w.settings.provisioning_timeout_s
        )
        brand.status = PROVISIONING if state.missing else ACTIVE

    brand.updated_at = datetime.now(UTC)
    provisioning.sync_registry(session, w.registry, brand)
    action = "tenant.suspend" if suspend else "tenant.resume"
    audit.record(
        session,
        actor,
        action,
        f"tenant:{brand.slug}",
        tenant_id=brand.id,
        before=before,
        after=_audited(brand),
    )
    event = "tenant.suspended" if suspend else "tenant.resumed"
    provisioning.announce(session, w.publish, event, brand)
    session.commit()
    log.info(event.replace(".", "_"), tenant_id=brand.id, slug=brand.slug)
    return brand


def suspend_brand(w: Wiring, tenant_id: str, actor: Actor) -> Brand:
    """Every service's registry then refuses the brand's storefront (403)."""
    return _set_status(w, tenant_id, actor, suspend=True)


def resume_brand(w: Wiring, tenant_id: str, actor: Actor) -> Brand:
    return _set_status(w, tenant_id, actor, suspend=False)


def brand_from_pack(
    w: Wiring,
    section: dict[str, Any],
    actor: Actor,
    digest: str,
    before_commit: BeforeCommit | None = None,
) -> tuple[Brand, bool]:
    """Create the pack's brand, or update it when its slug exists already."""
    data = {key: section.get(key) for key in BRAND_FIELDS if key in section}
    existing = brand_by_slug(w, data["slug"])
    if existing is None:
        brand = create_brand(w, data, actor, digest, before_commit)
        return brand, True
    brand = update_brand(w, existing.id, data, actor, digest, before_commit)
    return brand, False
