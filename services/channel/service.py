"""The channel service's use cases; each owns its transaction.

Nothing here reads Flask's globals: the view passes the tenant, the clock's
reading, the content and catalog adapters, so the same functions run in a
request, an event handler or a CLI command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select

from services.channel import pack_checks, packs
from services.channel.catalog import CatalogClients, ProductAvailability
from services.channel.content import (
    ContentfulContent,
    PackContent,
    RecentMisses,
    locale_chain,
)
from services.channel.contentful_gateway import (
    ContentfulGateways,
)
from services.channel.errors import (
    ChannelExists,
    ChannelNotFound,
    ChannelNotSetUp,
    InvalidEvent,
    PlacementExists,
    PlacementInvalid,
    PlacementNotFound,
)
from services.channel.experiments import (
    placement_results,
    record_conversion,
    variant_for,
)
from services.channel.models import (
    ChannelSettings,
    Placement,
    PlacementEvent,
    SalesChannel,
    db,
)
from services.channel.placements import SlotRequest, fill_slot, iso_utc
from shared.config import Settings
from shared.tenancy import Tenant

log = structlog.get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ChannelRuntime:
    """The adapters and clock the channel service's use cases are given."""

    catalog: Any = field(default_factory=CatalogClients)
    contentful: Any = field(default_factory=ContentfulGateways)
    clock: Callable[[], datetime] = utc_now
    content_max_age: timedelta = timedelta(minutes=5)
    webhook_tolerance: timedelta = timedelta(minutes=5)
    misses: RecentMisses = field(default_factory=lambda: RecentMisses(ttl_s=60.0))


def runtime_from(settings: Settings) -> ChannelRuntime:
    return ChannelRuntime(
        catalog=CatalogClients(timeout_s=settings.http_timeout_s),
        contentful=ContentfulGateways(timeout_s=settings.contentful_timeout_s),
        content_max_age=timedelta(seconds=settings.content_max_age_s),
    )


# -- storefront ---------------------------------------------------------------


def resolve_slot(
    rt: ChannelRuntime,
    tenant: Tenant,
    request: SlotRequest,
    catalog: ProductAvailability,
    at: datetime | None = None,
) -> dict[str, Any]:
    """What the slot shows now (or at ``at``, a staff preview, which records
    no exposure)."""
    now = rt.clock()
    moment = at or now
    settings = channel_settings()
    if (
        db.session.scalar(
            select(SalesChannel.id).where(SalesChannel.code == request.channel)
        )
        is None
    ):
        raise ChannelNotFound(f"{tenant.slug} has no channel {request.channel}")

    chain = locale_chain(request.locale, settings.default_locale)
    items = fill_slot(
        request,
        tenant_id=tenant.id,
        at=moment,
        chain=chain,
        content=_content_source(rt, tenant, settings, now),
        catalog=catalog,
        record=at is None,
    )
    db.session.commit()
    return {
        "channel": request.channel,
        "slot": request.slot,
        "locale": request.locale,
        "locale_chain": chain,
        "at": iso_utc(moment),
        "preview": at is not None,
        "items": items,
    }


def channel_settings() -> ChannelSettings:
    settings = db.session.scalar(select(ChannelSettings))
    if settings is None:
        raise ChannelNotSetUp("import the brand pack first")
    return settings


def _content_source(
    rt: ChannelRuntime, tenant: Tenant, settings: ChannelSettings, now: datetime
):
    if not settings.uses_contentful:
        return PackContent()
    return ContentfulContent(
        tenant.id,
        rt.contentful.for_brand(tenant.id, settings),
        now,
        rt.content_max_age,
        rt.misses,
    )


def record_storefront_events(
    rt: ChannelRuntime, tenant: Tenant, events: list[dict[str, Any]]
) -> int:
    """Impressions and clicks; the variant is worked out here, not trusted."""
    now = rt.clock()
    codes = {e["placement"] for e in events}
    placements = {
        p.code: p
        for p in db.session.scalars(select(Placement).where(Placement.code.in_(codes)))
    }
    unknown = sorted(codes - placements.keys())
    if unknown:
        raise InvalidEvent(
            "unknown placement(s)",
            errors=[
                {
                    "field": f"events[{i}].placement",
                    "location": "json",
                    "message": f"no placement {e['placement']}",
                }
                for i, e in enumerate(events)
                if e["placement"] in unknown
            ],
        )

    for event in events:
        placement = placements[event["placement"]]
        variant = variant_for(tenant.id, placement, event["visitor"])
        db.session.add(
            PlacementEvent(
                placement_id=placement.id,
                variant_key=variant.key if variant else None,
                visitor_id=event["visitor"],
                kind=event["type"],
                occurred_at=now,
            )
        )
    db.session.commit()
    return len(events)


def record_order_confirmed(payload: dict[str, Any], occurred_at: str) -> int:
    """Conversions from an ``order.confirmed`` event (the handler's body).

    TODO: the order service's payload is being defined in parallel; this
    reads ``order_id`` and the storefront's ``visitor_id`` (the same id the
    storefront sends with ``visitor=``). The bus commits the transaction.
    """
    confirmed_at = datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
    return record_conversion(
        str(payload["order_id"]), payload.get("visitor_id"), confirmed_at
    )


# -- admin --------------------------------------------------------------------


def import_brand_pack(pack: dict[str, Any]) -> dict[str, int]:
    return packs.import_pack(pack).__dict__


def list_channels() -> list[SalesChannel]:
    return list(db.session.scalars(select(SalesChannel).order_by(SalesChannel.code)))


def create_channel(data: dict[str, Any]) -> SalesChannel:
    if _channel(data["code"], missing_ok=True) is not None:
        raise ChannelExists(f"channel {data['code']} exists")
    channel = SalesChannel(
        code=data["code"], name=data["name"], assisted=data.get("assisted", False)
    )
    db.session.add(channel)
    db.session.commit()
    log.info("sales_channel_created", code=channel.code)
    return channel


def update_channel(code: str, data: dict[str, Any]) -> SalesChannel:
    channel = _channel(code)
    for name in ("name", "assisted"):
        if name in data:
            setattr(channel, name, data[name])
    db.session.commit()
    return channel


def _channel(code: str, missing_ok: bool = False) -> SalesChannel | None:
    channel = db.session.scalar(select(SalesChannel).where(SalesChannel.code == code))
    if channel is None and not missing_ok:
        raise ChannelNotFound(f"no channel {code}")
    return channel


def list_placements(channel: str | None, slot: str | None) -> list[Placement]:
    query = select(Placement).join(Placement.channel)
    if channel:
        query = query.where(SalesChannel.code == channel)
    if slot:
        query = query.where(Placement.slot == slot)
    order = (SalesChannel.code, Placement.slot, Placement.priority.desc())
    return list(db.session.scalars(query.order_by(*order)).unique())


def get_placement(code: str) -> Placement:
    placement = db.session.scalar(select(Placement).where(Placement.code == code))
    if placement is None:
        raise PlacementNotFound(f"no placement {code}")
    return placement


def save_placement(code: str, data: dict[str, Any], create: bool) -> Placement:
    """Create or replace a placement from the admin API (pack shape)."""
    existing = db.session.scalar(select(Placement).where(Placement.code == code))
    if create and existing is not None:
        raise PlacementExists(f"placement {code} exists")
    if not create and existing is None:
        raise PlacementNotFound(f"no placement {code}")

    problems = pack_checks.validate_placement_for_admin(data, known_channels())
    if problems:
        raise PlacementInvalid("the placement has invalid fields", errors=problems)
    channel = _channel(data["channel"])
    placement = existing or Placement(code=code)
    packs.fill_placement(placement, data, channel, source="admin")
    db.session.add(placement)
    db.session.commit()
    log.info("placement_saved", code=code, created=create)
    return placement


def known_channels() -> set[str]:
    return set(db.session.scalars(select(SalesChannel.code)))


def delete_placement(code: str) -> None:
    db.session.delete(get_placement(code))
    db.session.commit()


def placement_stats(code: str) -> dict[str, Any]:
    return placement_results(get_placement(code))
