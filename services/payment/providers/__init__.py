"""Payment providers behind one interface, chosen per brand in its settings."""

from services.payment.providers.base import (
    AuthenticationRequired,
    Authorisation,
    AuthorisationRequest,
    PaymentProvider,
    ProviderDeclined,
    ProviderError,
    ProviderTimeout,
    provider_idempotency_key,
)

__all__ = [
    "AuthenticationRequired",
    "Authorisation",
    "AuthorisationRequest",
    "PaymentProvider",
    "ProviderDeclined",
    "ProviderError",
    "ProviderTimeout",
    "provider_idempotency_key",
]
