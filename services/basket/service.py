"""The basket service's use cases; each owns its transaction.

A shopper is a guest holding a basket token or a signed-in customer. The
token is a 32-byte urlsafe secret returned once; only its SHA-256 is stored.
Every change is checked against the catalog and answered with the whole
basket (broken rules, flags, totals) so the shopper always sees the effect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select

from services.basket import errors, totals
from services.basket.brand import brand_terms
from services.basket.catalog_client import (
    CatalogClient,
    CatalogUnavailable,
)
from services.basket.lines import postcode as _postcode
from services.basket.lines import resolve_line
from services.basket.models import (
    EXPIRED,
    MERGED,
    OPEN,
    AppliedPromotion,
    Basket,
    BasketLine,
    Bundle,
    PromotionCode,
    PromotionRedemption,
    db,
)

log = structlog.get_logger(__name__)

MAX_BUNDLES = 20


@dataclass(frozen=True)
class Shopper:
    """Who is asking: a signed-in customer, a guest token, or both (merge)."""

    customer_id: str | None = None
    token: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- access -------------------------------------------------------------------


def load_basket(basket_id: str, shopper: Shopper, for_update: bool = False) -> Basket:
    """The basket if this shopper may see it; the same 404 otherwise."""
    statement = select(Basket).where(Basket.id == basket_id)
    if for_update:
        statement = statement.with_for_update()
    basket = db.session.scalars(statement).first()
    if basket is None or not may_access(basket, shopper):
        raise errors.BasketNotFound(f"no basket {basket_id}")
    return basket


def may_access(basket: Basket, shopper: Shopper) -> bool:
    if basket.customer_id is not None:
        return shopper.customer_id == basket.customer_id
    if not shopper.token or not basket.token_hash:
        return False
    return hmac.compare_digest(hash_token(shopper.token), basket.token_hash)


def open_for_change(basket: Basket, now: datetime) -> Basket:
    if basket.status == OPEN and basket.expires_at <= now:
        basket.status = EXPIRED
        db.session.commit()
        raise errors.BasketExpired(f"basket {basket.id} expired")
    if basket.status == EXPIRED:
        raise errors.BasketExpired(f"basket {basket.id} expired")
    if basket.status != OPEN:
        raise errors.BasketClosed(f"basket {basket.id} is {basket.status}")
    return basket


def _touch(basket: Basket, now: datetime) -> None:
    basket.updated_at = now
    basket.expires_at = now + timedelta(hours=brand_terms().basket_ttl_hours)


# --- use cases ------------------------------------------------------------------


def create_basket(
    shopper: Shopper, channel: str, contact: Mapping[str, Any] | None, now: datetime
) -> tuple[Basket, str | None]:
    """A new basket; a guest gets its token once, here."""
    terms = brand_terms()
    if terms.channels and channel not in terms.channels:
        raise errors.InvalidBasketChange(
            errors=errors.field("channel", f"one of {', '.join(terms.channels)}")
        )
    token = None if shopper.customer_id else secrets.token_urlsafe(32)
    basket = Basket(
        id=str(uuid.uuid4()),
        token_hash=hash_token(token) if token else None,
        customer_id=shopper.customer_id,
        channel=channel,
        status=OPEN,
        currency=terms.currency,
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(hours=terms.basket_ttl_hours),
        contact=dict(contact) if contact else None,
    )
    db.session.add(basket)
    db.session.commit()
    log.info("basket_created", basket_id=basket.id, guest=token is not None)
    return basket, token


def add_bundle(
    basket_id: str,
    shopper: Shopper,
    spec: Mapping[str, Any],
    catalog: CatalogClient,
    now: datetime,
) -> Basket:
    basket = open_for_change(load_basket(basket_id, shopper), now)
    if len(basket.bundles) >= MAX_BUNDLES:
        raise errors.InvalidBasketChange(
            errors=errors.field("kind", f"at most {MAX_BUNDLES} lines per basket")
        )

    bundle = Bundle(
        id=str(uuid.uuid4()),
        kind=spec["kind"],
        position=max((b.position for b in basket.bundles), default=-1) + 1,
        postcode=_postcode(spec.get("postcode")),
    )
    for index, line_spec in enumerate(spec.get("lines") or ()):
        bundle.lines.append(
            resolve_line(line_spec, bundle, catalog, basket.channel, f"lines[{index}]")
        )
    basket.bundles.append(bundle)
    _touch(basket, now)
    db.session.commit()
    log.info("bundle_added", basket_id=basket.id, bundle_id=bundle.id, kind=bundle.kind)
    return basket


def change_bundle(
    basket_id: str,
    bundle_id: str,
    shopper: Shopper,
    changes: Mapping[str, Any],
    now: datetime,
) -> Basket:
    basket = open_for_change(load_basket(basket_id, shopper), now)
    bundle = _bundle(basket, bundle_id)
    if "postcode" in changes:
        bundle.postcode = _postcode(changes["postcode"])
    _touch(basket, now)
    db.session.commit()
    return basket


def remove_bundle(basket_id: str, bundle_id: str, shopper: Shopper, now: datetime):
    basket = open_for_change(load_basket(basket_id, shopper), now)
    basket.bundles.remove(_bundle(basket, bundle_id))
    _touch(basket, now)
    db.session.commit()
    return basket


def add_line(
    basket_id: str,
    bundle_id: str,
    shopper: Shopper,
    spec: Mapping[str, Any],
    catalog: CatalogClient,
    now: datetime,
) -> Basket:
    basket = open_for_change(load_basket(basket_id, shopper), now)
    bundle = _bundle(basket, bundle_id)
    bundle.lines.append(resolve_line(spec, bundle, catalog, basket.channel, ""))
    _touch(basket, now)
    db.session.commit()
    return basket


def change_line(
    basket_id: str,
    bundle_id: str,
    line_id: int,
    shopper: Shopper,
    changes: Mapping[str, Any],
    catalog: CatalogClient,
    now: datetime,
) -> Basket:
    """Set a line's options (variant, payment option, term, quantity)."""
    basket = open_for_change(load_basket(basket_id, shopper), now)
    bundle = _bundle(basket, bundle_id)
    line = _line(bundle, line_id)
    spec = {
        "code": line.product_code,
        "sku": changes.get("sku", line.sku),
        "price_type": changes.get("price_type", line.price_type),
        "term_months": changes.get("term_months", line.term_months),
        "quantity": changes.get("quantity", line.quantity),
    }
    if "price_type" in changes and "term_months" not in changes:
        spec["term_months"] = None
    replacement = resolve_line(spec, bundle, catalog, basket.channel, "")
    for name in (
        "sku",
        "price_type",
        "term_months",
        "quantity",
        "shown_monthly",
        "shown_one_time",
        "preorder",
        "expected_on",
        "name",
    ):
        setattr(line, name, getattr(replacement, name))
    _touch(basket, now)
    db.session.commit()
    return basket


def remove_line(
    basket_id: str, bundle_id: str, line_id: int, shopper: Shopper, now: datetime
) -> Basket:
    basket = open_for_change(load_basket(basket_id, shopper), now)
    bundle = _bundle(basket, bundle_id)
    bundle.lines.remove(_line(bundle, line_id))
    _touch(basket, now)
    db.session.commit()
    return basket


def apply_promotion_code(
    basket_id: str, shopper: Shopper, code: str, now: datetime
) -> Basket:
    basket = open_for_change(load_basket(basket_id, shopper), now)
    code = code.strip().upper()
    promo = db.session.scalars(
        select(PromotionCode).where(PromotionCode.code == code)
    ).first()
    reason = totals.promotion_verdict(promo, basket, now)
    if reason in ("unknown", "ended", "not_started", "used_up"):
        raise errors.InvalidBasketChange(
            errors=errors.field("code", f"{code} cannot be used ({reason})")
        )
    if any(applied.code == code for applied in basket.promotion_codes):
        return basket

    basket.promotion_codes.append(AppliedPromotion(code=code))
    _touch(basket, now)
    db.session.commit()
    log.info("promotion_code_applied", basket_id=basket.id, code=code)
    return basket


def remove_promotion_code(
    basket_id: str, shopper: Shopper, code: str, now: datetime
) -> Basket:
    basket = open_for_change(load_basket(basket_id, shopper), now)
    for applied in list(basket.promotion_codes):
        if applied.code == code.strip().upper():
            basket.promotion_codes.remove(applied)
    _touch(basket, now)
    db.session.commit()
    return basket


def set_contact(
    basket_id: str, shopper: Shopper, contact: Mapping[str, Any], now: datetime
) -> Basket:
    basket = open_for_change(load_basket(basket_id, shopper), now)
    basket.contact = dict(contact)
    _touch(basket, now)
    db.session.commit()
    return basket


# --- reading ----------------------------------------------------------------------


def describe(
    basket: Basket, catalog: CatalogClient, now: datetime, remember: bool = False
) -> dict[str, Any]:
    """The basket as shown; with ``remember`` the shown prices are stored, so the
    next read lists only what changes after this answer."""
    priced = price(basket, catalog, now)
    if remember and basket.status == OPEN:
        remember_prices(basket, priced)
        db.session.commit()
    return priced.view


def price(basket: Basket, catalog: CatalogClient, now: datetime) -> totals.Priced:
    codes = [applied.code for applied in basket.promotion_codes]
    promos = {
        p.code: p
        for p in db.session.scalars(
            select(PromotionCode).where(PromotionCode.code.in_(codes))
        )
    }
    try:
        return totals.price_basket(
            basket, catalog, brand_terms(), promos, now, redeemed_codes(basket)
        )
    except CatalogUnavailable as exc:
        raise errors.CatalogUnreachable("try again in a moment") from exc


def redeemed_codes(basket: Basket) -> set[str]:
    """Codes this basket's customer has already redeemed on another basket."""
    if basket.customer_id is None:
        return set()
    return set(
        db.session.scalars(
            select(PromotionRedemption.code).where(
                PromotionRedemption.customer_id == basket.customer_id,
                PromotionRedemption.basket_id != basket.id,
            )
        )
    )


def totals_shown(priced: totals.Priced) -> dict[str, Any]:
    view = priced.view["totals"]
    return {"due_today": view["due_today"]["amount"], "schedule": view["schedule"]}


def remember_prices(basket: Basket, priced: totals.Priced) -> None:
    """Store what the shopper was shown: unit prices and the two totals."""
    basket.shown_totals = totals_shown(priced)
    for bundle in basket.bundles:
        for line in bundle.lines:
            current = priced.current[line.id]
            line.shown_monthly = current.monthly
            line.shown_one_time = current.one_time


def customer_basket(customer_id: str) -> Basket | None:
    return db.session.scalars(
        select(Basket)
        .where(Basket.customer_id == customer_id, Basket.status == OPEN)
        .order_by(Basket.updated_at.desc())
    ).first()


def _bundle(basket: Basket, bundle_id: str) -> Bundle:
    for bundle in basket.bundles:
        if bundle.id == bundle_id:
            return bundle
    raise errors.BundleNotFound(f"no bundle {bundle_id} in this basket")


def _line(bundle: Bundle, line_id: int) -> BasketLine:
    for line in bundle.lines:
        if line.id == line_id:
            return line
    raise errors.LineNotFound(f"no line {line_id} in this bundle")


def merge_guest_basket(
    guest_basket_id: str, token: str, customer_id: str, now: datetime
) -> Basket:
    """On sign-in: the guest's lines join the customer's open basket (or the
    guest basket becomes the customer's). The guest token stops working."""
    guest = load_basket(guest_basket_id, Shopper(token=token))
    open_for_change(guest, now)
    target = customer_basket(customer_id)
    if target is not None and target.expires_at <= now:
        target = None

    if target is None:
        guest.customer_id = customer_id
        guest.token_hash = None
        _touch(guest, now)
        db.session.commit()
        log.info("guest_basket_claimed", basket_id=guest.id)
        return guest

    start = max((b.position for b in target.bundles), default=-1) + 1
    for offset, bundle in enumerate(list(guest.bundles)):
        guest.bundles.remove(bundle)
        bundle.position = start + offset
        target.bundles.append(bundle)
    held = {applied.code for applied in target.promotion_codes}
    for applied in guest.promotion_codes:
        if applied.code not in held:
            target.promotion_codes.append(AppliedPromotion(code=applied.code))
    if guest.contact and not target.contact:
        target.contact = guest.contact
    guest.status = MERGED
    guest.token_hash = None
    _touch(target, now)
    db.session.commit()
    log.info("guest_basket_merged", guest_basket_id=guest.id, basket_id=target.id)
    return target
