"""HTTP endpoints of the payment service: parse, call the service layer, answer."""

import structlog
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.payment import billing, movements, service, webhooks
from services.payment.access import (
    customer_or_staff,
    own_payment,
    own_subscription,
    paying_as,
    staff_only,
)
from services.payment.schemas import (
    AmountSchema,
    AuthorisationRequestSchema,
    PaymentMethodRequestSchema,
    PaymentMethodSchema,
    PaymentSchema,
    SubscriptionRequestSchema,
    SubscriptionSchema,
    WebhookAnswerSchema,
)
from shared.http.idempotency import idempotent

log = structlog.get_logger(__name__)

blp = Blueprint(
    "payment",
    __name__,
    description="Payment providers, authorisations, captures, refunds and billing.",
)

WEBHOOK_ENDPOINT = "payment.Webhook"


@blp.route("/authorisations", methods=["POST"])
@customer_or_staff
@blp.arguments(AuthorisationRequestSchema)
@paying_as("customer", "id")
@idempotent("payment.authorise")
@blp.response(201, PaymentSchema)
def authorise(data):
    """Authorise a payment for an order attempt (Idempotency-Key required)."""
    customer = data.pop("customer")
    command = service.AuthoriseCommand(
        **data,
        customer_id=customer["id"],
        email=customer.get("email"),
        device_id=customer.get("device_id"),
    )
    return service.authorise(command)


@blp.route("/payments/<payment_id>", methods=["GET"])
@customer_or_staff
@own_payment
@blp.response(200, PaymentSchema)
def get_payment(payment_id):
    """A payment with its ledger (the paying customer or staff)."""
    return service.get_payment(payment_id)


@blp.route("/payments/<payment_id>/authentication-results", methods=["POST"])
@customer_or_staff
@own_payment
@idempotent("payment.authenticate")
@blp.response(200, PaymentSchema)
def complete_authentication(payment_id):
    """After the shopper's 3-D Secure step: complete the authorisation."""
    return service.complete_authentication(payment_id)


@blp.route("/payments/<payment_id>/captures", methods=["POST"])
@staff_only
@blp.arguments(AmountSchema)
@idempotent("payment.capture")
@blp.response(200, PaymentSchema)
def capture(data, payment_id):
    """Capture all or part of an authorisation (Idempotency-Key required)."""
    return movements.capture(payment_id, data.get("amount"))


@blp.route("/payments/<payment_id>/voids", methods=["POST"])
@staff_only
@idempotent("payment.void")
@blp.response(200, PaymentSchema)
def void(payment_id):
    """Release an authorisation that was not captured (Idempotency-Key required)."""
    return movements.void(payment_id)


@blp.route("/payments/<payment_id>/refunds", methods=["POST"])
@staff_only
@blp.arguments(AmountSchema)
@idempotent("payment.refund")
@blp.response(200, PaymentSchema)
def refund(data, payment_id):
    """Refund all or part of what was captured (Idempotency-Key required)."""
    return movements.refund(payment_id, data.get("amount"))


@blp.route("/payment-methods", methods=["POST"])
@customer_or_staff
@blp.arguments(PaymentMethodRequestSchema)
@paying_as("customer_id")
@blp.response(201, PaymentMethodSchema)
def save_payment_method(data):
    """Keep a provider token with its brand, last four digits and expiry."""
    return service.save_payment_method(**data)


@blp.route("/subscriptions", methods=["POST"])
@staff_only
@blp.arguments(SubscriptionRequestSchema)
@idempotent("payment.subscribe")
@blp.response(201, SubscriptionSchema)
def start_subscription(data):
    """Start monthly billing of an active line (Idempotency-Key required)."""
    return billing.start_subscription(**data)


@blp.route("/subscriptions/<subscription_id>", methods=["GET"])
@customer_or_staff
@blp.response(200, SubscriptionSchema)
def get_subscription(subscription_id):
    """A subscription with its month-by-month amounts and its charges."""
    return own_subscription(billing.get_subscription(subscription_id))


@blp.route("/webhooks/<provider>")
class Webhook(MethodView):
    @blp.response(200, WebhookAnswerSchema)
    def post(self, provider):
        """A provider's event, verified on the raw body and applied once."""
        return webhooks.receive(provider, request.get_data(cache=True), request.headers)
