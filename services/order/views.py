"""HTTP endpoints of the order service: parse, call the service layer, answer."""

from __future__ import annotations

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from services.order import analytics, service
from services.order.access import customer_id, staff_user
from services.order.errors import CallbackSignatureInvalid
from services.order.fulfilment import SIGNATURE_HEADER, signature_valid
from services.order.models import db
from services.order.saga import settings_for
from services.order.saga_fulfilment import simulator_allowed
from services.order.schemas import (
    AnalyticsArgs,
    BrandSettingsSchema,
    FulfilmentCallbackSchema,
    OrderCreateSchema,
    OrderOutSchema,
    OrderSearchArgs,
    OrderWithTimelineSchema,
    ParkedOutSchema,
    ReturnInSchema,
    ReturnOutSchema,
    StaffOrderSchema,
)
from shared.http.idempotency import idempotent
from shared.http.problems import Unprocessable, field_errors

blp = Blueprint(
    "order", __name__, description="The order saga from checkout to an active line."
)


# Checkout and the customer's own orders


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(OrderCreateSchema)
    @idempotent("order.create")
    @blp.response(201, OrderOutSchema)
    def post(self, data):
        """Place an order from a basket checkout (send an Idempotency-Key)."""
        key = request.headers.get("Idempotency-Key", "").strip() or None
        order = service.create_order(data, key)
        location = url_for("order.OrderById", order_id=order.id)
        return order, 201, {"Location": location}

    @blp.response(200, OrderOutSchema(many=True))
    def get(self):
        """The signed-in customer's orders, newest first."""
        return service.customer_orders(customer_id())


@blp.route("/orders/<order_id>")
class OrderById(MethodView):
    @blp.response(200, OrderWithTimelineSchema)
    def get(self, order_id):
        """One of the customer's orders, with its timeline."""
        order = service.customer_order(order_id, customer_id())
        return service.with_timeline(order)


@blp.route("/orders/<order_id>/cancellation", methods=["POST"])
@blp.response(200, OrderOutSchema)
def cancel_order(order_id):
    """Cancel before dispatch; after it, return the items instead."""
    return service.cancel_order(order_id, customer_id())


@blp.route("/orders/<order_id>/returns", methods=["POST"])
@blp.arguments(ReturnInSchema)
@blp.response(201, ReturnOutSchema)
def request_return(data, order_id):
    """Return a device or a whole line within the 14-day cooling-off period."""
    return service.request_return(
        order_id, customer_id(), data["line_id"], data["scope"]
    )


# Fulfilment system callbacks


@blp.route("/fulfilment/callbacks", methods=["POST"])
def fulfilment_callback():
    """A signed status update from the brand's fulfilment system.

    The signature is checked before the body is even parsed, so an
    unsigned caller learns nothing about the expected shape.
    """
    secret = settings_for(db.session).callback_secret
    db.session.rollback()
    body = request.get_data(cache=True)
    if not signature_valid(secret, body, request.headers.get(SIGNATURE_HEADER)):
        raise CallbackSignatureInvalid("the body's signature does not match")
    try:
        update = FulfilmentCallbackSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        raise Unprocessable(
            "the callback has invalid fields", errors=field_errors(exc.messages)
        ) from None
    return {"outcome": service.apply_fulfilment_callback(update)}, 200


# Brand staff


@blp.route("/staff/orders")
@blp.arguments(OrderSearchArgs, location="query")
@blp.response(200, OrderOutSchema(many=True))
def search_orders(args):
    """Find orders by number, customer e-mail or phone number."""
    staff_user()
    return service.search_orders(**args)


@blp.route("/staff/orders/<order_id>")
@blp.response(200, StaffOrderSchema)
def staff_order(order_id):
    """An order with its saga state and every step it took."""
    staff_user()
    return service.with_timeline(service.get_order(order_id))


@blp.route("/staff/parked-orders")
@blp.response(200, ParkedOutSchema(many=True))
def parked_orders():
    """Orders waiting for a person."""
    staff_user()
    return service.parked_orders()


@blp.route("/staff/orders/<order_id>/retry", methods=["POST"])
@blp.response(200, OrderOutSchema)
def retry_parked(order_id):
    return service.resolve_parked(order_id, "retry", staff_user())


@blp.route("/staff/orders/<order_id>/cancel", methods=["POST"])
@blp.response(200, OrderOutSchema)
def cancel_parked(order_id):
    return service.resolve_parked(order_id, "cancel", staff_user())


@blp.route("/staff/orders/<order_id>/returns/<return_id>/receipt", methods=["POST"])
@blp.response(200, ReturnOutSchema)
def receive_return(order_id, return_id):
    """The returned item arrived: stock goes back, the refund goes out."""
    return service.receive_return(order_id, return_id, staff_user())


@blp.route("/staff/analytics")
@blp.arguments(AnalyticsArgs, location="query")
def order_analytics(args):
    """Orders and revenue per day and channel, AOV, cancellation and return rates."""
    staff_user()
    return analytics.summary(db.session, args.get("since"), args.get("until"))


@blp.route("/staff/settings", methods=["PUT"])
@blp.arguments(BrandSettingsSchema)
@blp.response(200, BrandSettingsSchema)
def brand_settings(data):
    """Order number prefix, fulfilment endpoint and step deadlines."""
    actor = staff_user()
    if data.get("fulfilment_mode") == "simulator" and not simulator_allowed():
        raise Unprocessable(
            "the fulfilment simulator is off on this platform",
            errors=[
                {
                    "field": "fulfilment_mode",
                    "location": "json",
                    "message": "not allowed here (ORDER_FULFILMENT_SIMULATOR)",
                }
            ],
        )
    return service.configure_brand(actor=actor, **data)
