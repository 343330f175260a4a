"""Quotes: a basket frozen with its prices, turned back into a basket later.

A quote keeps each line's unit prices and the time it was priced. The basket
made from it shows those prices (and the campaigns running at that time)
until the quote expires; after that it prices like any other basket.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select

from services.basket import errors, service
from services.basket.catalog_client import CatalogClient
from services.basket.models import (
    AppliedPromotion,
    Basket,
    BasketLine,
    Bundle,
    Quote,
    db,
)

log = structlog.get_logger(__name__)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "Q-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


def freeze_quote(
    basket_id: str,
    shopper: service.Shopper,
    valid_days: int,
    catalog: CatalogClient,
    now: datetime,
) -> Quote:
    basket = service.open_for_change(service.load_basket(basket_id, shopper), now)
    priced = service.price(basket, catalog, now)
    if not basket.bundles:
        raise errors.InvalidBasketChange(errors=errors.field("basket", "is empty"))
    service.remember_prices(basket, priced)

    quote = Quote(
        id=str(uuid.uuid4()),
        reference=new_reference(),
        basket_id=basket.id,
        channel=basket.channel,
        customer_id=basket.customer_id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
        snapshot=_snapshot(basket),
        totals={
            "due_today": priced.view["totals"]["due_today"],
            "per_month": priced.view["totals"]["per_month"],
            "schedule": priced.view["totals"]["schedule"],
        },
    )
    db.session.add(quote)
    db.session.commit()
    log.info("quote_frozen", quote=quote.reference, basket_id=basket.id)
    return quote


def _snapshot(basket: Basket) -> dict[str, Any]:
    return {
        "token_hash": basket.token_hash,
        "promotion_codes": [p.code for p in basket.promotion_codes],
        "bundles": [
            {
                "kind": bundle.kind,
                "postcode": bundle.postcode,
                "lines": [
                    {
                        name: getattr(line, name)
                        for name in (
                            "product_code",
                            "product_type",
                            "name",
                            "sku",
                            "price_type",
                            "term_months",
                            "quantity",
                            "shown_monthly",
                            "shown_one_time",
                            "preorder",
                            "expected_on",
                        )
                    }
                    for line in bundle.lines
                ],
            }
            for bundle in basket.bundles
        ],
    }


def load_quote(reference: str, shopper: service.Shopper) -> Quote:
    quote = db.session.scalars(
        select(Quote).where(Quote.reference == reference.upper())
    ).first()
    if quote is None:
        raise errors.QuoteNotFound(f"no quote {reference}")
    if quote.customer_id is not None:
        allowed = quote.customer_id == shopper.customer_id
    else:
        token_hash = quote.snapshot.get("token_hash")
        allowed = bool(shopper.token) and token_hash == service.hash_token(
            shopper.token
        )
    if not allowed:
        raise errors.QuoteNotFound(f"no quote {reference}")
    return quote


def basket_from_quote(
    reference: str, shopper: service.Shopper, now: datetime
) -> tuple[Basket, str | None]:
    """A new basket at the quote's prices until it expires."""
    quote = load_quote(reference, shopper)
    if quote.expires_at <= now:
        raise errors.QuoteExpired(f"quote {quote.reference} expired")

    owner = service.Shopper(customer_id=quote.customer_id)
    basket, token = service.create_basket(owner, quote.channel, None, now)
    basket.priced_at = quote.created_at
    basket.frozen_until = quote.expires_at
    for position, frozen in enumerate(quote.snapshot["bundles"]):
        bundle = Bundle(
            id=str(uuid.uuid4()),
            kind=frozen["kind"],
            position=position,
            postcode=frozen["postcode"],
        )
        bundle.lines = [BasketLine(**line) for line in frozen["lines"]]
        basket.bundles.append(bundle)
    basket.promotion_codes = [
        AppliedPromotion(code=code) for code in quote.snapshot["promotion_codes"]
    ]
    db.session.commit()
    log.info("basket_from_quote", quote=quote.reference, basket_id=basket.id)
    return basket, token
