"""The contract every payment provider keeps.

Each call carries an idempotency key that the provider itself honours, so a
call repeated after a time-out (when we cannot know whether the first one
reached the provider) never moves money twice. Keys are derived from the
order and the attempt, never random, so that a retry computes the same key.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field


class ProviderError(Exception):
    """The provider refused or failed a call; ``code`` is safe to show."""

    code = "provider_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.code


class ProviderDeclined(ProviderError):
    """The issuer or the provider declined the payment (``code`` says why)."""

    code = "card_declined"


class AuthenticationRequired(ProviderError):
    """The payment needs 3-D Secure before it can be authorised."""

    code = "authentication_required"

    def __init__(self, message: str, *, reference: str | None = None) -> None:
        super().__init__(message)
        self.reference = reference


class ProviderTimeout(ProviderError):
    """No answer in time: the call may or may not have happened; retry same key."""

    code = "provider_timeout"


def provider_idempotency_key(
    tenant_id: str, order_id: str, attempt: int, operation: str, sequence: int = 0
) -> str:
    """The key a provider sees for one operation of one payment attempt.

    ``sequence`` tells apart several partial captures or refunds of one
    payment; the caller numbers them from what is already recorded.
    """
    return f"tc-{tenant_id[:8]}-{order_id}-a{attempt}-{operation}-{sequence}"


@dataclass(frozen=True)
class AuthorisationRequest:
    amount: int
    currency: str
    token: str
    customer_id: str
    order_id: str
    idempotency_key: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Authorisation:
    reference: str
    amount: int
    currency: str
    card_brand: str | None = None
    last4: str | None = None


@dataclass(frozen=True)
class Movement:
    """A capture, void or refund the provider confirmed."""

    reference: str
    amount: int


class PaymentProvider(abc.ABC):
    """Authorise, capture (full or partial), void and refund with idempotency."""

    name: str

    @abc.abstractmethod
    def authorise(self, request: AuthorisationRequest) -> Authorisation: ...

    def complete_authentication(
        self, reference: str, request: AuthorisationRequest
    ) -> Authorisation:
        """The authorisation once the shopper has passed 3-D Secure.

        Raises ``AuthenticationRequired`` while the shopper has not finished.
        """
        raise ProviderError("this provider has no 3-D Secure", code="unsupported")

    @abc.abstractmethod
    def capture(
        self, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Movement: ...

    @abc.abstractmethod
    def void(self, reference: str, idempotency_key: str) -> Movement: ...

    @abc.abstractmethod
    def refund(
        self, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Movement: ...
