"""Handing a brand pack's sections to the services that own them.

The one place that knows which service owns which section. The contract
(documented in BRAND_PACK.md): for each owning service one
``tenant.pack_imported`` event, version 1, published in the same transaction
as the brand's update, with the payload

    {"tenant_id", "slug", "service", "digest", "tenant": {...},
     "sections": {name: [...]}}

``tenant`` is the pack's ``tenant`` section (currency, tax, locale, languages,
settings): the owners need it to price and to localise what they import.

The owning service imports its sections in full (replace, not merge) and
may skip an event whose ``digest`` it has imported already.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.tenant.models import Brand
from services.tenant.provisioning import Publisher
from shared.brandpack import BrandPack

SECTION_OWNERS: dict[str, str] = {
    "products": "catalog",
    "rules": "catalog",
    "cross_sell": "catalog",
    "channels": "channel",
    "campaigns": "channel",
    "promotion_codes": "channel",
    "placements": "channel",
    "content": "channel",
}


@dataclass(frozen=True)
class Handoff:
    service: str
    sections: dict[str, list]

    @property
    def items(self) -> int:
        return sum(len(items) for items in self.sections.values())


def plan_handoffs(pack: BrandPack) -> list[Handoff]:
    """One hand-off per owning service, with every section it owns (even empty)."""
    by_service: dict[str, dict[str, list]] = {}
    for section, service in SECTION_OWNERS.items():
        by_service.setdefault(service, {})[section] = pack.section(section)
    return [Handoff(service, sections) for service, sections in by_service.items()]


def hand_off(
    session: Session,
    publish: Publisher,
    brand: Brand,
    pack: BrandPack,
    handoff: Handoff,
) -> None:
    """Publish one service's sections; the caller commits."""
    publish(
        session,
        "tenant.pack_imported",
        {
            "tenant_id": brand.id,
            "slug": brand.slug,
            "service": handoff.service,
            "digest": pack.digest,
            "tenant": dict(pack.tenant),
            "sections": handoff.sections,
        },
        version=1,
        tenant_id=brand.id,
    )
