"""Conditions the payment service reports, each mapped to one problem+json answer."""

from shared.http.card_data import CardDataRefused  # noqa: F401 - raised here too
from shared.http.problems import (
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    Unprocessable,
)


class PaymentNotFound(NotFound):
    slug, title = "payment-not-found", "No such payment"


class PaymentMethodNotFound(Unprocessable):
    slug, title = "payment-method-not-found", "No such payment method"


class ProviderNotEnabled(Unprocessable):
    slug, title = "provider-not-enabled", "This payment provider is not enabled"


class PaymentDeclined(Problem):
    status, slug, title = 402, "payment-declined", "The payment was declined"


class FraudDeclined(Problem):
    status, slug, title = 402, "fraud-declined", "The payment was declined"


class AuthenticationRequiredProblem(Problem):
    status, slug, title = 402, "authentication-required", "3-D Secure is required"


class ProviderUnavailable(Problem):
    """The provider did not answer; retrying with the same key is safe."""

    status, slug, title = 504, "provider-timeout", "The payment provider timed out"


class ProviderRefused(Unprocessable):
    slug, title = "provider-refused", "The payment provider refused the request"


class PaymentStateConflict(Conflict):
    slug, title = "payment-state-conflict", "The payment is not in a state for this"


class AmountTooLarge(Unprocessable):
    slug, title = "amount-too-large", "The amount is larger than allowed"


class PaymentAttemptReused(Conflict):
    slug = "payment-attempt-reused"
    title = "This order attempt was already used with other details"


class WebhookRefused(Problem):
    status, slug, title = 400, "webhook-refused", "The webhook was refused"


class SubscriptionNotFound(NotFound):
    slug, title = "subscription-not-found", "No such subscription"


class NotTheCustomer(Forbidden):
    slug = "not-the-customer"
    title = "A customer may only pay, or read payments, as themselves"
