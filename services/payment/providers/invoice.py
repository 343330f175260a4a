"""Pay by invoice for business customers, within a credit limit each.

Nothing leaves the building: an authorisation reserves credit, a capture turns
it into an invoice, a void releases it. The limit and what is already owed
come from the payment service's own tables through ``credit_position``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from services.payment.providers.base import (
    Authorisation,
    AuthorisationRequest,
    Movement,
    PaymentProvider,
    ProviderDeclined,
)

# customer id -> (credit limit, amount already authorised or invoiced and unpaid)
CreditPosition = Callable[[str, str], tuple[int, int] | None]


class InvoiceProvider(PaymentProvider):
    name = "invoice"

    def __init__(self, credit_position: CreditPosition) -> None:
        self.credit_position = credit_position

    def authorise(self, request: AuthorisationRequest) -> Authorisation:
        position = self.credit_position(request.customer_id, request.currency)
        if position is None:
            raise ProviderDeclined(
                "this customer has no business credit account", code="no_credit_account"
            )

        limit, owed = position
        if owed + request.amount > limit:
            raise ProviderDeclined(
                f"credit limit {limit} would be exceeded (owed {owed})",
                code="credit_limit_exceeded",
            )
        return Authorisation(
            f"inv_{uuid.uuid5(uuid.NAMESPACE_URL, request.idempotency_key).hex[:16]}",
            request.amount,
            request.currency,
        )

    def capture(
        self, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Movement:
        return Movement(f"{reference}_{idempotency_key[-12:]}", amount)

    def void(self, reference: str, idempotency_key: str) -> Movement:
        return Movement(reference, 0)

    def refund(
        self, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Movement:
        return Movement(f"cn_{reference}_{idempotency_key[-12:]}", amount)
