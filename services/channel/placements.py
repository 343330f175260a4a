"""Which placements fill a slot for one request, and what each one shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import or_, select

from services.channel.catalog import ProductAvailability
from services.channel.content import ResolvedContent
from services.channel.experiments import record_exposure, variant_for
from services.channel.models import Placement, SalesChannel, db


class ContentSource(Protocol):
    def entry(self, entry_id: str, chain: list[str]) -> ResolvedContent | None: ...


@dataclass(frozen=True)
class SlotRequest:
    """What the storefront knows about the visitor asking for a slot."""

    channel: str
    slot: str
    locale: str
    visitor_id: str | None = None
    signed_in: bool | None = None
    customer: str | None = None


def live_placements(request: SlotRequest, at: datetime) -> list[Placement]:
    """Placements of the slot whose window holds ``at``, by priority."""
    return list(
        db.session.scalars(
            select(Placement)
            .join(Placement.channel)
            .where(
                SalesChannel.code == request.channel,
                Placement.slot == request.slot,
                or_(Placement.starts_at.is_(None), Placement.starts_at <= at),
                or_(Placement.ends_at.is_(None), Placement.ends_at >= at),
            )
            .order_by(Placement.priority.desc(), Placement.code)
        ).unique()
    )


def visible_to(placement: Placement, request: SlotRequest) -> bool:
    """The placement's visibility rules against this request.

    A visitor whose sign-in state or customer kind is unknown sees only
    placements meant for anyone.
    """
    if placement.locales and request.locale not in placement.locales:
        return False
    if placement.audience == "signed_in" and request.signed_in is not True:
        return False
    if placement.audience == "guest" and request.signed_in is not False:
        return False
    return placement.customer == "any" or placement.customer == request.customer


def fill_slot(
    request: SlotRequest,
    *,
    tenant_id: str,
    at: datetime,
    chain: list[str],
    content: ContentSource,
    catalog: ProductAvailability,
    record: bool,
) -> list[dict[str, Any]]:
    """The slot's items in order; exposures recorded when ``record`` is set."""
    items = []
    for placement in live_placements(request, at):
        if not visible_to(placement, request):
            continue

        variant = variant_for(tenant_id, placement, request.visitor_id)
        content_id = (variant and variant.content_id) or placement.content_id
        codes = (variant and variant.products) or placement.products
        resolved = content.entry(content_id, chain) if content_id else None
        products = _shown_products(codes, request.channel, catalog)
        if resolved is None and not products:
            continue

        if record and variant is not None and request.visitor_id:
            record_exposure(placement, variant.key, request.visitor_id, at)
        items.append(
            {
                "placement": placement.code,
                "priority": placement.priority,
                "experiment": (
                    {"name": placement.experiment.name, "variant": variant.key}
                    if variant is not None
                    else None
                ),
                "content": resolved.as_dict() if resolved else None,
                "products": products,
                "window": {
                    "from": iso_utc(placement.starts_at),
                    "to": iso_utc(placement.ends_at),
                },
            }
        )
    return items


def _shown_products(
    codes: list[str], channel: str, catalog: ProductAvailability
) -> list[dict[str, Any]]:
    shown = []
    for code in codes:
        product = catalog.offered(code, channel)
        if product is None:
            continue
        shown.append(
            {"code": code, **{k: product[k] for k in ("name", "type") if k in product}}
        )
    return shown


def iso_utc(moment: datetime | None) -> str | None:
    """An instant as ``...Z``; SQLite hands back naive datetimes, stored as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
