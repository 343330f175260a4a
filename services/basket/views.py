"""HTTP endpoints of the basket service: parse, call the service layer, answer.

A guest sends its basket token in ``X-Basket-Token``; a signed-in customer a
Bearer token. A basket is found only on its own brand's host and only for its
owner; anything else is the same 404.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, request
from flask_smorest import Blueprint

from services.basket import (
    abandonment,
    brand,
    checkout,
    live,
    quotes,
    schemas,
    service,
)
from services.basket.deps import BasketDeps
from services.basket.errors import SignInRequired
from shared.http.problems import Forbidden
from shared.tenancy.context import require_tenant

blp = Blueprint(
    "basket",
    __name__,
    description="Guest and signed-in baskets with telecom bundles and two totals.",
)


@blp.before_request
def brand_settings_from_the_pack() -> None:
    """Embedded demo: a brand answered from a pack takes its basket settings from
    that pack on first use. TODO: at merge, take them from ``tenant.created``
    (currency, tax, settings) through an event handler instead."""
    tenant, d = require_tenant(), deps()
    if tenant.id in d.configured_brands:
        return
    pack = getattr(catalog(), "pack", None)
    if pack is not None and not brand.has_brand_terms():
        brand.import_brand_pack(pack)
    d.configured_brands.add(tenant.id)


def deps() -> BasketDeps:
    return current_app.extensions["basket"]


def shopper() -> service.Shopper:
    """The one place that reads who is asking (tokens checked by shared.auth)."""
    authorization = request.headers.get("Authorization")
    return service.Shopper(
        customer_id=deps().identity.customer_id(authorization),
        token=request.headers.get("X-Basket-Token") or None,
    )


def catalog():
    return deps().catalogs(require_tenant())


def shown(basket, token: str | None = None, remember: bool = True) -> dict:
    view = service.describe(basket, catalog(), deps().clock(), remember=remember)
    if remember and basket.customer_id:
        deps().feed.publish(
            require_tenant().id, basket.customer_id, live.notice_for(view)
        )
    if token:
        view["token"] = token
    return view


@blp.route("/baskets", methods=["POST"])
@blp.arguments(schemas.BasketCreateSchema)
@blp.response(201, schemas.BasketSchema)
def create_basket(body):
    """Start a basket; a guest gets its token once, in this answer."""
    basket, token = service.create_basket(
        shopper(), body["channel"], body.get("contact"), deps().clock()
    )
    return shown(basket, token)


@blp.route("/baskets/mine", methods=["GET"])
@blp.response(200, schemas.BasketSchema)
def my_basket():
    """The signed-in customer's open basket."""
    who = shopper()
    if who.customer_id is None:
        raise SignInRequired("only a signed-in customer has a basket of their own")
    basket = service.customer_basket(who.customer_id)
    if basket is None:
        raise service.errors.BasketNotFound("no open basket")
    return shown(basket, remember=False)


@blp.route("/baskets/mine/events", methods=["GET"])
def my_basket_events():
    """Server-sent events: every change to the customer's basket, on any device."""
    who = shopper()
    if who.customer_id is None:
        raise SignInRequired("only a signed-in customer has a basket of their own")
    d = deps()
    subscription = d.feed.subscribe(require_tenant().id, who.customer_id)
    return Response(
        live.event_stream(subscription, d.keep_alive_s),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@blp.route("/baskets/<basket_id>", methods=["GET"])
@blp.response(200, schemas.BasketSchema)
def get_basket(basket_id):
    """The basket with its broken rules, flags, totals and price changes."""
    return shown(service.load_basket(basket_id, shopper()), remember=False)


@blp.route("/baskets/<basket_id>/bundles", methods=["POST"])
@blp.arguments(schemas.BundleSpecSchema)
@blp.response(201, schemas.BasketSchema)
def add_bundle(body, basket_id):
    """Add a phone line (plan, SIM, device, add-ons) or a broadband order."""
    basket = service.add_bundle(basket_id, shopper(), body, catalog(), deps().clock())
    return shown(basket)


@blp.route("/baskets/<basket_id>/bundles/<bundle_id>", methods=["PATCH"])
@blp.arguments(schemas.BundleChangeSchema)
@blp.response(200, schemas.BasketSchema)
def change_bundle(body, basket_id, bundle_id):
    basket = service.change_bundle(
        basket_id, bundle_id, shopper(), body, deps().clock()
    )
    return shown(basket)


@blp.route("/baskets/<basket_id>/bundles/<bundle_id>", methods=["DELETE"])
@blp.response(200, schemas.BasketSchema)
def remove_bundle(basket_id, bundle_id):
    basket = service.remove_bundle(basket_id, bundle_id, shopper(), deps().clock())
    return shown(basket)


@blp.route("/baskets/<basket_id>/bundles/<bundle_id>/lines", methods=["POST"])
@blp.arguments(schemas.LineSpecSchema)
@blp.response(201, schemas.BasketSchema)
def add_line(body, basket_id, bundle_id):
    basket = service.add_line(
        basket_id, bundle_id, shopper(), body, catalog(), deps().clock()
    )
    return shown(basket)


@blp.route(
    "/baskets/<basket_id>/bundles/<bundle_id>/lines/<int:line_id>",
    methods=["PATCH"],
)
@blp.arguments(schemas.LineChangeSchema)
@blp.response(200, schemas.BasketSchema)
def change_line(body, basket_id, bundle_id, line_id):
    """Set a line's options: variant, payment option and term, quantity."""
    basket = service.change_line(
        basket_id, bundle_id, line_id, shopper(), body, catalog(), deps().clock()
    )
    return shown(basket)


@blp.route(
    "/baskets/<basket_id>/bundles/<bundle_id>/lines/<int:line_id>",
    methods=["DELETE"],
)
@blp.response(200, schemas.BasketSchema)
def remove_line(basket_id, bundle_id, line_id):
    basket = service.remove_line(
        basket_id, bundle_id, line_id, shopper(), deps().clock()
    )
    return shown(basket)


@blp.route("/baskets/<basket_id>/promotion-codes", methods=["POST"])
@blp.arguments(schemas.PromotionCodeSchema)
@blp.response(200, schemas.BasketSchema)
def apply_code(body, basket_id):
    basket = service.apply_promotion_code(
        basket_id, shopper(), body["code"], deps().clock()
    )
    return shown(basket)


@blp.route("/baskets/<basket_id>/promotion-codes/<code>", methods=["DELETE"])
@blp.response(200, schemas.BasketSchema)
def remove_code(basket_id, code):
    basket = service.remove_promotion_code(basket_id, shopper(), code, deps().clock())
    return shown(basket)


@blp.route("/baskets/<basket_id>/contact", methods=["PUT"])
@blp.arguments(schemas.ContactSchema)
@blp.response(200, schemas.BasketSchema)
def set_contact(body, basket_id):
    basket = service.set_contact(basket_id, shopper(), body, deps().clock())
    return shown(basket)


@blp.route("/baskets/<basket_id>/checkout", methods=["POST"])
@blp.arguments(schemas.CheckoutSchema)
@blp.response(200, schemas.ReceiptSchema)
def checkout_basket(body, basket_id):
    """Re-validate, re-price, redeem codes and place the order, once."""
    d = deps()
    return checkout.checkout(
        basket_id, shopper(), body, catalog(), d.orders, request.host, d.clock()
    )


@blp.route("/baskets/<basket_id>/claim", methods=["POST"])
@blp.response(200, schemas.BasketSchema)
def claim_basket(basket_id):
    """After sign-in: merge this guest basket into the customer's."""
    who = shopper()
    if who.customer_id is None or not who.token:
        raise SignInRequired("sign in and send the guest basket's token")
    basket = service.merge_guest_basket(
        basket_id, who.token, who.customer_id, deps().clock()
    )
    return shown(basket)


@blp.route("/baskets/<basket_id>/quotes", methods=["POST"])
@blp.arguments(schemas.QuoteCreateSchema)
@blp.response(201, schemas.QuoteSchema)
def freeze_quote(body, basket_id):
    """Freeze the basket into a quote with a reference and an expiry."""
    return quotes.freeze_quote(
        basket_id, shopper(), body["valid_days"], catalog(), deps().clock()
    )


@blp.route("/quotes/<reference>/basket", methods=["POST"])
@blp.response(201, schemas.BasketSchema)
def basket_from_quote(reference):
    """A basket at the quote's frozen prices, until the quote expires."""
    basket, token = quotes.basket_from_quote(reference, shopper(), deps().clock())
    return shown(basket, token)


@blp.route("/abandonment-rate", methods=["GET"])
@blp.arguments(schemas.SinceSchema, location="query")
@blp.response(200, schemas.RateSchema)
def abandonment_rate(args):
    """Share of baskets that held something and were left, over ``days`` (staff)."""
    authorization = request.headers.get("Authorization")
    if not authorization:
        raise SignInRequired("sign in as the brand's staff")
    if not deps().identity.is_staff(authorization):
        raise Forbidden("only the brand's staff read the abandonment rate")
    since = deps().clock() - timedelta(days=args["days"])
    return abandonment.abandonment_rate(since)
