"""Checkout: re-validate and re-price under a lock, redeem codes, hand off once.

The basket row is locked (SELECT ... FOR UPDATE on PostgreSQL) for the whole
step, so two checkouts of one basket run one after the other and the second
sees ``checked_out`` and answers with the same order reference. Promotion
code counters move with a conditional UPDATE in the same transaction, so a
limit holds however many checkouts race for the last redemptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from services.basket import errors, service, totals
from services.basket.catalog_client import CatalogClient, CatalogUnavailable
from services.basket.models import (
    CHECKED_OUT,
    MOBILE,
    Basket,
    PromotionCode,
    PromotionRedemption,
    db,
)
from services.basket.order_client import (
    OrderClient,
    OrderRefused,
    OrderServiceError,
    checkout_key,
)

log = structlog.get_logger(__name__)


def checkout(
    basket_id: str,
    shopper: service.Shopper,
    details: Mapping[str, Any],
    catalog: CatalogClient,
    orders: OrderClient,
    host: str,
    now: datetime,
) -> dict[str, Any]:
    basket = service.load_basket(basket_id, shopper, for_update=True)
    if basket.status == CHECKED_OUT:
        db.session.rollback()
        return _receipt(basket, repeated=True)
    service.open_for_change(basket, now)

    priced = service.price(basket, catalog, now)
    if priced.blockers:
        db.session.rollback()
        raise errors.CheckoutBlocked("fix the basket first", blockers=priced.blockers)
    _refuse_lost_codes(priced)
    was, now_shown = basket.shown_totals, service.totals_shown(priced)
    if priced.price_changes or (was is not None and was != now_shown):
        service.remember_prices(basket, priced)
        db.session.commit()
        raise errors.PricesChanged(
            "review the new prices, then check out again",
            price_changes=priced.price_changes,
            totals={"was": was, "now": now_shown},
        )
    lines = _telecom_details(basket, details, catalog, now)

    try:
        _redeem(basket, priced.eligible_codes, details, now)
        receipt = orders.place_order(
            order_payload(basket, priced, details, lines), checkout_key(basket.id), host
        )
    except OrderRefused as exc:
        db.session.rollback()
        raise errors.InvalidBasketChange(
            f"the order was not placed: {exc}", errors=exc.errors
        ) from exc
    except OrderServiceError as exc:
        db.session.rollback()
        raise errors.OrderServiceUnreachable("the order was not placed") from exc
    except BaseException:
        db.session.rollback()
        raise

    basket.status = CHECKED_OUT
    basket.checked_out_at = now
    basket.order_reference = receipt.reference
    basket.checkout = {
        "contact": dict(details["contact"]),
        "delivery_address": dict(details.get("delivery_address") or {}),
        "lines": lines,
        "order_status": receipt.status,
    }
    db.session.commit()
    log.info(
        "basket_checked_out",
        basket_id=basket.id,
        order_reference=receipt.reference,
        promotion_codes=[p.code for p in priced.eligible_codes],
    )
    return _receipt(basket, repeated=False)


LOST = {"used_up", "ended", "already_used"}


def _refuse_lost_codes(priced: totals.Priced) -> None:
    """A code the shopper may have seen applied that can no longer be had:
    refuse rather than charge more than the basket showed."""
    for code in priced.view["promotion_codes"]:
        if code["reason"] in LOST:
            db.session.rollback()
            raise errors.PromotionCodeUsedUp(
                f"{code['code']} is no longer available ({code['reason']}); "
                "remove it to check out",
                code=code["code"],
            )


def _receipt(basket: Basket, repeated: bool) -> dict[str, Any]:
    return {
        "basket_id": basket.id,
        "status": basket.status,
        "order_reference": basket.order_reference,
        "order_status": (basket.checkout or {}).get("order_status"),
        "repeated": repeated,
    }


def _redeem(
    basket: Basket,
    codes: list[PromotionCode],
    details: Mapping[str, Any],
    now: datetime,
) -> None:
    """Take one redemption of each code, or refuse the whole checkout."""
    for promo in codes:
        taken = db.session.execute(
            update(PromotionCode)
            .where(
                PromotionCode.code == promo.code,
                or_(
                    PromotionCode.max_redemptions.is_(None),
                    PromotionCode.redeemed < PromotionCode.max_redemptions,
                ),
            )
            .values(redeemed=PromotionCode.redeemed + 1)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            db.session.rollback()
            raise errors.PromotionCodeUsedUp(
                f"{promo.code} has no redemptions left; remove it to check out",
                code=promo.code,
            )

        who = None
        if promo.once_per_customer:
            email = str(details["contact"]["email"]).strip().lower()
            who = basket.customer_id or f"email:{email}"
        db.session.add(
            PromotionRedemption(
                code=promo.code, basket_id=basket.id, customer_id=who, redeemed_at=now
            )
        )
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise errors.PromotionCodeUsedUp(
                f"{promo.code} can be used once per customer", code=promo.code
            ) from None


def _telecom_details(
    basket: Basket, details: Mapping[str, Any], catalog: CatalogClient, now: datetime
) -> list[dict[str, Any]]:
    """Per phone line: a new number or a port-in; eSIM lines need an e-mail."""
    given = {line["bundle_id"]: line for line in details.get("lines") or ()}
    problems: list[dict[str, str]] = []
    chosen = []
    earliest_port = (now + timedelta(days=1)).date()

    for index, bundle in enumerate(basket.bundles):
        if bundle.kind != MOBILE:
            continue
        line = given.get(bundle.id)
        at = f"lines[{bundle.id}]"
        if line is None:
            problems += errors.field(at, "choose a new number or a number to port")
            continue
        port = line.get("port_in")
        if line.get("number") == "port_in" and not port:
            problems += errors.field(f"{at}.port_in", "give the number, PAC and date")
        if port and port["date"] < earliest_port:
            problems += errors.field(f"{at}.port_in.date", f"{earliest_port} or later")
        has_esim = any(
            item.product_type == "sim" and _is_esim(catalog, item.product_code)
            for item in bundle.lines
        )
        if has_esim and not line.get("esim_email"):
            problems += errors.field(f"{at}.esim_email", "where to send the eSIM")
        chosen.append(
            {
                "bundle_id": bundle.id,
                "position": index,
                "number": "port_in" if port else "new",
                "port_in": (
                    {**port, "date": port["date"].isoformat()} if port else None
                ),
                "esim_email": line.get("esim_email"),
                "sim_type": "esim" if has_esim else "physical",
            }
        )

    if not details.get("delivery_address") and _needs_delivery(basket, catalog):
        problems += errors.field("delivery_address", "devices and SIMs need delivery")
    if problems:
        db.session.rollback()
        raise errors.InvalidBasketChange(
            "checkout details are incomplete", errors=problems
        )
    return chosen


def _is_esim(catalog: CatalogClient, code: str) -> bool:
    try:
        return bool(catalog.offer(code).attributes.get("esim"))
    except CatalogUnavailable as exc:
        db.session.rollback()
        raise errors.CatalogUnreachable("try again in a moment") from exc


def _needs_delivery(basket: Basket, catalog: CatalogClient) -> bool:
    return any(
        line.product_type in ("device", "accessory")
        or (line.product_type == "sim" and not _is_esim(catalog, line.product_code))
        for bundle in basket.bundles
        for line in bundle.lines
    )


def order_payload(
    basket: Basket,
    priced: totals.Priced,
    details: Mapping[str, Any],
    lines: list[dict[str, Any]],
) -> dict[str, Any]:
    view = priced.view
    by_bundle = {line["bundle_id"]: line for line in lines}
    return {
        "basket_id": basket.id,
        "customer_id": basket.customer_id,
        "channel": basket.channel,
        "currency": view["currency"],
        "contact": dict(details["contact"]),
        "delivery_address": dict(details.get("delivery_address") or {}),
        "payment_provider": details["payment_provider"],
        "payment_method_token": details["payment_method_token"],
        "promotion_codes": [p.code for p in priced.eligible_codes],
        "bundles": [
            {
                **{k: bundle[k] for k in ("id", "kind", "postcode")},
                "line": by_bundle.get(bundle["id"]),
                "items": bundle["lines"],
                "due_today": bundle["due_today"],
                "per_month": bundle["per_month"],
            }
            for bundle in view["bundles"]
        ],
        "totals": view["totals"],
        "preorder": any(
            item["preorder"] for bundle in view["bundles"] for item in bundle["lines"]
        ),
    }
