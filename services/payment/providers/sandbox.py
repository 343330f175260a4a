"""A built-in test gateway: documented tokens, its own ledger, real idempotency.

One gateway per merchant account (a brand's sandbox credentials name it), kept
in the process so tests can count what it charged. See PROVIDERS.md for the
tokens and what each one does.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field

from services.payment.providers.base import (
    AuthenticationRequired,
    Authorisation,
    AuthorisationRequest,
    Movement,
    PaymentProvider,
    ProviderDeclined,
    ProviderError,
    ProviderTimeout,
)

APPROVE = "approve"
DECLINE = "decline"
INSUFFICIENT_FUNDS = "insufficient_funds"
THREE_DS = "3ds_required"
TIMEOUT = "timeout"

TEST_TOKENS = {
    "tok_approve": (APPROVE, "visa", "4242"),
    "tok_mastercard": (APPROVE, "mastercard", "4444"),
    "tok_decline": (DECLINE, "visa", "0002"),
    "tok_insufficient_funds": (INSUFFICIENT_FUNDS, "visa", "9995"),
    "tok_3ds_required": (THREE_DS, "visa", "3184"),
    "tok_timeout": (TIMEOUT, "visa", "0119"),
}


@dataclass
class SandboxCharge:
    reference: str
    order_id: str
    token: str
    amount: int
    currency: str
    captured: int = 0
    refunded: int = 0
    voided: bool = False


@dataclass
class SandboxGateway:
    """The provider's side: charges, movements, and answers per idempotency key."""

    merchant: str
    charges: dict[str, SandboxCharge] = field(default_factory=dict)
    movements: list[tuple[str, str, int]] = field(default_factory=list)
    _answers: dict[str, tuple[str, object]] = field(default_factory=dict)
    _outcomes: dict[str, str] = field(default_factory=dict)
    _timed_out: set[str] = field(default_factory=set)
    _awaiting_3ds: dict[str, tuple[str, str]] = field(default_factory=dict)
    _authenticated: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def charge_count(self, order_id: str | None = None) -> int:
        return sum(1 for c in self.charges.values() if order_id in (None, c.order_id))

    def set_token_outcome(self, token: str, outcome: str) -> None:
        """Test control: from now on this token answers with ``outcome``."""
        self._outcomes[token] = outcome

    def authenticate(self, reference: str) -> None:
        """Test control: the shopper passed 3-D Secure for this authorisation."""
        self._authenticated.add(reference)

    def outcome_of(self, token: str) -> tuple[str, str, str]:
        if token in self._outcomes:
            _, brand, last4 = TEST_TOKENS.get(token, (APPROVE, "visa", "4242"))
            return self._outcomes[token], brand, last4
        if token in TEST_TOKENS:
            return TEST_TOKENS[token]
        if token.startswith("tok_approve_"):
            return TEST_TOKENS["tok_approve"]
        raise ProviderDeclined("unknown sandbox token", code="invalid_token")

    def once(self, key: str, params: tuple, operation):
        """Run ``operation`` once per key; a repeat returns (or raises) the same."""
        fingerprint = hashlib.sha256(repr(params).encode()).hexdigest()
        with self._lock:
            if key in self._answers:
                stored_fingerprint, answer = self._answers[key]
                if stored_fingerprint != fingerprint:
                    raise ProviderError(
                        "idempotency key reused with other parameters",
                        code="idempotency_key_reused",
                    )
            else:
                try:
                    answer = operation()
                except ProviderError as exc:
                    answer = exc
                self._answers[key] = (fingerprint, answer)
                if isinstance(answer, Authorisation) and key in self._timed_out:
                    raise ProviderTimeout("sandbox timed out after charging")
        if isinstance(answer, ProviderError):
            raise answer
        return answer

    def next_reference(self, prefix: str) -> str:
        return f"{prefix}_{self.merchant}_{next(self._ids):06d}"


_gateways: dict[str, SandboxGateway] = {}
_gateways_lock = threading.Lock()


def sandbox_gateway(merchant: str) -> SandboxGateway:
    with _gateways_lock:
        return _gateways.setdefault(merchant, SandboxGateway(merchant))


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def __init__(self, gateway: SandboxGateway) -> None:
        self.gateway = gateway

    def authorise(self, request: AuthorisationRequest) -> Authorisation:
        gateway = self.gateway

        def charge() -> Authorisation:
            outcome, brand, last4 = gateway.outcome_of(request.token)
            if outcome == DECLINE:
                raise ProviderDeclined("card declined", code="card_declined")
            if outcome == INSUFFICIENT_FUNDS:
                raise ProviderDeclined("insufficient funds", code="insufficient_funds")
            if outcome == THREE_DS:
                reference = gateway.next_reference("sbx_3ds")
                gateway._awaiting_3ds[reference] = (brand, last4)
                raise AuthenticationRequired("3-D Secure required", reference=reference)
            if outcome == TIMEOUT:
                gateway._timed_out.add(request.idempotency_key)
            reference = gateway.next_reference("sbx_auth")
            gateway.charges[reference] = SandboxCharge(
                reference,
                request.order_id,
                request.token,
                request.amount,
                request.currency,
            )
            gateway.movements.append(("authorise", reference, request.amount))
            return Authorisation(
                reference, request.amount, request.currency, brand, last4
            )

        params = (request.amount, request.currency, request.token, request.order_id)
        return gateway.once(request.idempotency_key, params, charge)

    def complete_authentication(
        self, reference: str, request: AuthorisationRequest
    ) -> Authorisation:
        gateway = self.gateway
        if reference not in gateway._awaiting_3ds:
            raise ProviderError("no such authentication", code="resource_missing")
        if reference not in gateway._authenticated:
            raise AuthenticationRequired(
                "3-D Secure not completed", reference=reference
            )

        def charge() -> Authorisation:
            brand, last4 = gateway._awaiting_3ds[reference]
            gateway.charges[reference] = SandboxCharge(
                reference,
                request.order_id,
                request.token,
                request.amount,
                request.currency,
            )
            gateway.movements.append(("authorise", reference, request.amount))
            return Authorisation(
                reference, request.amount, request.currency, brand, last4
            )

        return gateway.once(f"3ds-{reference}", (reference,), charge)

    def capture(
        self, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Movement:
        def capture() -> Movement:
            charge = self._charge(reference)
            if charge.voided or charge.captured + amount > charge.amount:
                raise ProviderError("cannot capture that much", code="amount_too_large")
            charge.captured += amount
            self.gateway.movements.append(("capture", reference, amount))
            return Movement(self.gateway.next_reference("sbx_cap"), amount)

        return self.gateway.once(idempotency_key, (reference, amount), capture)

    def void(self, reference: str, idempotency_key: str) -> Movement:
        def void() -> Movement:
            charge = self._charge(reference)
            if charge.captured:
                raise ProviderError("already captured", code="already_captured")
            charge.voided = True
            self.gateway.movements.append(("void", reference, charge.amount))
            return Movement(self.gateway.next_reference("sbx_void"), charge.amount)

        return self.gateway.once(idempotency_key, (reference,), void)

    def refund(
        self, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Movement:
        def refund() -> Movement:
            charge = self._charge(reference)
            if charge.refunded + amount > charge.captured:
                raise ProviderError("cannot refund that much", code="amount_too_large")
            charge.refunded += amount
            self.gateway.movements.append(("refund", reference, amount))
            return Movement(self.gateway.next_reference("sbx_ref"), amount)

        return self.gateway.once(idempotency_key, (reference, amount), refund)

    def _charge(self, reference: str) -> SandboxCharge:
        try:
            return self.gateway.charges[reference]
        except KeyError:
            raise ProviderError("no such charge", code="resource_missing") from None
