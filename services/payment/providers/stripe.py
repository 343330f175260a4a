"""Stripe through its official SDK: manual-capture PaymentIntents and refunds.

The SDK's own network retries are off (``max_network_retries=0``): a time-out
surfaces as ``ProviderTimeout`` and the caller retries with the same
idempotency key, which Stripe answers with the first result instead of
charging again.
"""

from __future__ import annotations

import stripe as stripe_sdk

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


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(
        self, api_key: str, *, api_base: str | None = None, timeout_s: float = 10.0
    ) -> None:
        options = {"base_addresses": {"api": api_base}} if api_base else {}
        self.client = stripe_sdk.StripeClient(
            api_key,
            max_network_retries=0,
            http_client=stripe_sdk.RequestsClient(timeout=timeout_s),
            **options,
        )

    def authorise(self, request: AuthorisationRequest) -> Authorisation:
        params = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "payment_method": request.token,
            "confirm": True,
            "capture_method": "manual",
            "metadata": {"order_id": request.order_id, **request.metadata},
        }
        intent = self._call(
            self.client.v1.payment_intents.create, params, request.idempotency_key
        )
        if intent.status == "requires_action":
            raise AuthenticationRequired("3-D Secure required", reference=intent.id)
        if intent.status != "requires_capture":
            raise ProviderDeclined(f"payment intent is {intent.status}")
        return Authorisation(intent.id, intent.amount, intent.currency.upper())

    def complete_authentication(
        self, reference: str, request: AuthorisationRequest
    ) -> Authorisation:
        intent = self._call(
            lambda params, options: self.client.v1.payment_intents.retrieve(
                reference, params, options
            ),
            {},
            None,
        )
        if intent.status == "requires_action":
            raise AuthenticationRequired(
                "3-D Secure not completed", reference=intent.id
            )
        if intent.status != "requires_capture":
            raise ProviderDeclined(f"payment intent is {intent.status}")
        return Authorisation(intent.id, intent.amount, intent.currency.upper())

    def capture(
        self, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Movement:
        intent = self._call(
            lambda params, options: self.client.v1.payment_intents.capture(
                reference, params, options
            ),
            {"amount_to_capture": amount},
            idempotency_key,
        )
        return Movement(intent.latest_charge or intent.id, amount)

    def void(self, reference: str, idempotency_key: str) -> Movement:
        intent = self._call(
            lambda params, options: self.client.v1.payment_intents.cancel(
                reference, params, options
            ),
            {},
            idempotency_key,
        )
        return Movement(intent.id, intent.amount)

    def refund(
        self, reference: str, amount: int, currency: str, idempotency_key: str
    ) -> Movement:
        refund = self._call(
            self.client.v1.refunds.create,
            {"payment_intent": reference, "amount": amount},
            idempotency_key,
        )
        return Movement(refund.id, refund.amount)

    def _call(self, method, params: dict, idempotency_key: str | None):
        """Call the SDK and translate its errors into the provider contract."""
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        try:
            return method(params, options)
        except stripe_sdk.CardError as exc:
            code = (exc.error and exc.error.decline_code) or exc.code or "declined"
            raise ProviderDeclined("card declined", code=code) from None
        except stripe_sdk.APIConnectionError:
            raise ProviderTimeout("no answer from Stripe in time") from None
        except stripe_sdk.StripeError as exc:
            raise ProviderError(
                "Stripe refused the call", code=exc.code or "stripe_error"
            ) from None
