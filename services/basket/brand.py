"""The brand's basket settings and promotion codes, imported from its pack."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select

from services.basket import errors
from services.basket.models import BrandTerms, PromotionCode, db

log = structlog.get_logger(__name__)


def import_brand_pack(pack: Mapping[str, Any], commit: bool = True) -> dict[str, int]:
    """The basket's part of a brand pack: tax, currency, basket settings, codes.

    Re-importing updates definitions and keeps each code's redemption counter.
    Basket expiry and abandonment delay come from ``tenant.settings`` (hours,
    minutes) when the pack has them, else 30 days and 60 minutes.
    """
    brand = pack["tenant"]
    settings = brand.get("settings") or {}
    terms = db.session.scalars(select(BrandTerms)).first() or BrandTerms()
    terms.currency = brand["currency"]
    terms.tax_rate_percent = int(brand["tax"]["rate_percent"])
    terms.prices_include_tax = bool(brand["tax"]["prices_include_tax"])
    terms.basket_ttl_hours = int(settings.get("basket_ttl_hours", 720))
    terms.abandon_after_minutes = int(settings.get("basket_abandon_after_minutes", 60))
    if "channels" in pack or terms.channels is None:
        terms.channels = [channel["code"] for channel in pack.get("channels") or ()]
    db.session.add(terms)

    existing = {p.code: p for p in db.session.scalars(select(PromotionCode))}
    for raw in pack.get("promotion_codes") or ():
        promo = existing.get(raw["code"]) or PromotionCode(code=raw["code"], redeemed=0)
        discount = raw.get("discount") or {}
        valid = raw.get("valid") or {}
        promo.percent = discount.get("percent")
        promo.amount = discount.get("amount")
        promo.months = discount.get("months")
        promo.on = discount.get("on") or (
            "one_time" if discount.get("once") else "recurring"
        )
        promo.applies = raw.get("applies", "each_line")
        promo.min_lines = (raw.get("condition") or {}).get("min_lines")
        promo.max_redemptions = raw.get("max_redemptions")
        promo.once_per_customer = bool(raw.get("once_per_customer"))
        promo.valid_from = _instant(valid.get("from"))
        promo.valid_to = _instant(valid.get("to"))
        db.session.add(promo)

    if commit:
        db.session.commit()
    count = len(pack.get("promotion_codes") or ())
    log.info("basket_brand_pack_imported", promotion_codes=count)
    return {"promotion_codes": count}


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def take_tenant_settings(payload: Mapping[str, Any]) -> None:
    """The brand's currency, tax and basket settings from ``tenant.created`` or
    ``tenant.updated`` (no commit: the event handler's transaction commits)."""
    brand = {
        "currency": payload["currency"],
        "tax": payload["tax"],
        "settings": payload.get("settings") or {},
    }
    import_brand_pack({"tenant": brand}, commit=False)


def has_brand_terms() -> bool:
    return db.session.scalars(select(BrandTerms.id)).first() is not None


def brand_terms() -> BrandTerms:
    terms = db.session.scalars(select(BrandTerms)).first()
    if terms is None:
        raise errors.Problem("the brand's basket settings are not imported yet")
    return terms
