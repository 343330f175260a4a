"""A basket line from a shopper's choice, checked against the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.basket import errors, totals
from services.basket.catalog_client import (
    OUT_OF_STOCK,
    RETIRED,
    CatalogClient,
    CatalogUnavailable,
    UnknownOffer,
)
from services.basket.models import BROADBAND, BasketLine, Bundle

MAX_QUANTITY = 50


def resolve_line(
    spec: Mapping[str, Any],
    bundle: Bundle,
    catalog: CatalogClient,
    channel: str,
    at: str,
) -> BasketLine:
    """A basket line for ``spec``, or 422 naming the field that is wrong."""
    prefix = f"{at}." if at else ""
    code, sku = spec["code"], spec.get("sku")

    def refuse(name: str, message: str):
        return errors.InvalidBasketChange(errors=errors.field(prefix + name, message))

    try:
        offer = catalog.offer(code, sku, channel)
    except UnknownOffer:
        raise refuse("sku" if sku else "code", f"{sku or code} is not sold") from None
    except CatalogUnavailable as exc:
        raise errors.CatalogUnreachable("try again in a moment") from exc

    if offer.lifecycle == RETIRED:
        raise refuse("code", f"{offer.name} is no longer sold")
    if offer.variants and sku is None:
        raise refuse("sku", f"choose a variant of {offer.name}")
    if offer.stock_state == OUT_OF_STOCK:
        raise refuse("sku", f"{sku} is out of stock")
    if (offer.type == BROADBAND) != (bundle.kind == BROADBAND) and (
        offer.type != "accessory"
    ):
        raise refuse("code", f"a {offer.type} does not belong in a {bundle.kind} line")
    if offer.type == "plan" and any(
        line.product_type == "plan" for line in bundle.lines
    ):
        raise refuse("code", "one plan per line; add another line for another plan")

    quantity = int(spec.get("quantity") or 1)
    if quantity != 1 and offer.type != "accessory":
        raise refuse("quantity", "only accessories are sold in quantities")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise refuse("quantity", f"between 1 and {MAX_QUANTITY}")

    price_type = spec.get("price_type") or _default_price_type(offer)
    if price_type is None:
        raise refuse("price_type", "choose one_time or instalment")
    term = spec.get("term_months")
    if price_type != "one_time" and term is None:
        terms = offer.terms(price_type)
        if len(terms) != 1:
            raise refuse("term_months", f"choose one of {terms or 'none'}")
        term = terms[0]
    option = offer.price(price_type, None if price_type == "one_time" else term)
    if option is None:
        offered = sorted({(p.type, p.term_months or 0) for p in offer.prices})
        raise refuse("price_type", f"{offer.name} is offered as {offered}")

    line = BasketLine(
        product_code=code,
        product_type=offer.type,
        name=offer.name,
        sku=sku,
        price_type=price_type,
        term_months=None if price_type == "one_time" else term,
        quantity=quantity,
        preorder=offer.preorder and offer.stock_state != "in_stock",
        expected_on=offer.expected_on,
    )
    current = totals.current_line_price(line, catalog, channel, frozen=False)
    line.shown_monthly, line.shown_one_time = current.monthly, current.one_time
    return line


def _default_price_type(offer) -> str | None:
    """The only sensible payment option, or None when the shopper must choose."""
    types = {p.type for p in offer.prices}
    if len(types) == 1:
        return types.pop()
    if types == {"recurring", "one_time"}:
        return "recurring"  # broadband: monthly fee plus a connection fee
    return None


def postcode(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(str(value).upper().split())
