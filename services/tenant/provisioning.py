"""The provisioning saga and the one place that publishes tenant events.

``tenant.created`` goes out with the new brand; every other service creates
the brand's schema and answers ``<service>.tenant_ready``. The brand turns
``active`` when all five have answered, and ``tenant.updated`` tells every
registry so. A provision that takes longer than TENANT_PROVISIONING_TIMEOUT_S
shows which services are missing.

Publishing goes through ``Publisher``: ``shared.events.publish`` (adds an
outbox row to the caller's session, so the event commits with the state
change) once the event bus is merged; until then, and in tests, any function
with the same signature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.tenant.models import ACTIVE, PROVISIONING, Brand, ProvisioningAnswer
from shared.events import publish
from shared.tenancy.registry import TenantRegistry

log = structlog.get_logger(__name__)

OTHER_SERVICES = ("catalog", "channel", "basket", "order", "payment")

Publisher = Callable[..., Any]
"""``publish(session, event_type, payload, version=1, tenant_id=...)``."""


def bus_publisher() -> Publisher:
    """The outbox ``publish`` of ``shared.events``."""
    return publish


def brand_payload(brand: Brand) -> dict[str, Any]:
    """The payload of tenant.created/updated/suspended/resumed (see brief)."""
    return {
        "id": brand.id,
        "slug": brand.slug,
        "name": brand.name,
        "status": brand.status,
        "domains": list(brand.domains or []),
        "currency": brand.currency,
        "locale": brand.locale,
        "languages": list(brand.languages or []),
        "tax": dict(brand.tax or {}),
        "features": dict(brand.features or {}),
        "settings": dict(brand.settings or {}),
    }


def announce(session: Session, publish: Publisher, event_type: str, brand: Brand):
    return publish(
        session, event_type, brand_payload(brand), version=1, tenant_id=brand.id
    )


@dataclass(frozen=True)
class ProvisioningState:
    tenant_id: str
    status: str
    answered: tuple[str, ...]
    missing: tuple[str, ...]
    started_at: datetime
    elapsed_s: float
    timed_out: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "status": self.status,
            "answered": list(self.answered),
            "missing": list(self.missing),
            "started_at": self.started_at.isoformat(),
            "elapsed_s": round(self.elapsed_s, 3),
            "timed_out": self.timed_out,
        }


def provisioning_state(
    session: Session, brand: Brand, timeout_s: float, now: datetime | None = None
) -> ProvisioningState:
    now = now or datetime.now(UTC)
    answered = tuple(
        session.scalars(
            select(ProvisioningAnswer.service)
            .where(ProvisioningAnswer.tenant_id == brand.id)
            .order_by(ProvisioningAnswer.service)
        )
    )
    missing = tuple(s for s in OTHER_SERVICES if s not in answered)
    started = brand.provisioning_started_at
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    elapsed = (now - started).total_seconds()
    return ProvisioningState(
        tenant_id=brand.id,
        status=brand.status,
        answered=answered,
        missing=missing,
        started_at=started,
        elapsed_s=elapsed,
        timed_out=bool(missing) and elapsed > timeout_s,
    )


def sync_registry(session: Session, registry: TenantRegistry, brand: Brand) -> None:
    """The tenant service's own registry row, in the caller's transaction."""
    registry.upsert(
        session.connection(),
        tenant_id=brand.id,
        slug=brand.slug,
        status=brand.status,
        domains=brand.domains or [],
    )


def record_ready(
    session: Session,
    publish: Publisher,
    registry: TenantRegistry,
    tenant_id: str,
    service: str,
) -> Brand | None:
    """Note one service's answer; activate the brand once all five answered.

    Runs in the consumer's transaction (the inbox makes a redelivery a no-op;
    answering twice is harmless here too). Returns the brand, or None for an
    unknown brand or service.
    """
    if service == "tenant":  # our own schema was made when the brand was created
        return None
    if service not in OTHER_SERVICES:
        log.warning("tenant_ready_from_unknown_service", service=service)
        return None
    brand = session.get(Brand, tenant_id, with_for_update=True)
    if brand is None:
        log.warning("tenant_ready_for_unknown_brand", tenant_id=tenant_id)
        return None

    if session.get(ProvisioningAnswer, (tenant_id, service)) is None:
        session.add(
            ProvisioningAnswer(
                tenant_id=tenant_id, service=service, answered_at=datetime.now(UTC)
            )
        )
        session.flush()

    answered = set(
        session.scalars(
            select(ProvisioningAnswer.service).where(
                ProvisioningAnswer.tenant_id == tenant_id
            )
        )
    )
    if brand.status == PROVISIONING and answered >= set(OTHER_SERVICES):
        brand.status = ACTIVE
        brand.updated_at = datetime.now(UTC)
        sync_registry(session, registry, brand)
        announce(session, publish, "tenant.updated", brand)
        log.info("tenant_activated", tenant_id=brand.id, slug=brand.slug)
    return brand
