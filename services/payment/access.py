"""Who may call the payment API: staff of the brand, or the paying customer.

Tokens are the tenant service's RS256 access tokens (``shared.auth``); the
token's ``tid`` must be the brand the Host names. Staff (``tenant_admin``,
including a machine client the operator gave that role) may act on every
payment of their brand. A customer (``customer``) may pay, save a payment
method and read payments and subscriptions as themselves only: the
``customer_id`` they name must be their token's ``sub``, and a payment of
someone else answers as if it did not exist.

The order saga does not call this API: it drives payments by events
(``order.payment_requested``, ``order.capture_requested``, ...), so no
service-to-service token is needed. Webhooks carry the provider's signature
instead of a token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from services.payment.errors import (
    NotTheCustomer,
    PaymentNotFound,
    SubscriptionNotFound,
)
from services.payment.models import Payment, Subscription, db
from shared.auth import current_claims, requires_auth

STAFF = "tenant_admin"
CUSTOMER = "customer"

staff_only = requires_auth(roles=[STAFF])
customer_or_staff = requires_auth(roles=[CUSTOMER, STAFF])


def is_staff() -> bool:
    return STAFF in current_claims().get("roles", [])


def acts_as(customer_id: str | None) -> bool:
    """Staff, or the customer whose id this is."""
    claims = current_claims()
    return is_staff() or (
        CUSTOMER in claims.get("roles", []) and claims["sub"] == customer_id
    )


def paying_as(*path: str) -> Callable:
    """Refuse a body whose customer (at ``path``) is not the token's customer.

    Goes between ``@blp.arguments`` and ``@idempotent``: a customer cannot
    replay another customer's stored answer by reusing their key.
    """
    field = ".".join(path)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(data: dict, *args: Any, **kwargs: Any):
            value: Any = data
            for step in path:
                value = (value or {}).get(step)
            if not acts_as(value):
                raise NotTheCustomer(
                    "a customer pays as themselves only",
                    errors=[
                        {
                            "field": field,
                            "location": "json",
                            "message": "must be the signed-in customer",
                        }
                    ],
                )
            return view(data, *args, **kwargs)

        return wrapper

    return decorate


def own_payment(view: Callable) -> Callable:
    """The path's ``payment_id`` must be a payment of the caller (or staff)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        payment = db.session.get(Payment, kwargs["payment_id"])
        if payment is not None and not acts_as(payment.customer_id):
            raise PaymentNotFound(f"no payment {kwargs['payment_id']}")
        return view(*args, **kwargs)

    return wrapper


def own_subscription(subscription: Subscription) -> Subscription:
    """The subscription, if the caller may read it; else as if it were absent."""
    if not acts_as(subscription.customer_id):
        raise SubscriptionNotFound(f"no subscription {subscription.id}")
    return subscription
