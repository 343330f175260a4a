"""Who is asking (customer or brand staff), read in one small place.

Tokens are the tenant service's RS256 JWTs, verified by ``shared.auth``
(signature against the tenant service's key set, issuer, audience
``telecart:basket``, expiry, and ``tid`` equal to the brand the Host resolved
to). ``views.shopper`` and the staff check in ``views`` are the only callers.
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.auth import require_claims

STAFF_ROLES = {"tenant_admin", "platform_admin"}


class CustomerIdentity(Protocol):
    def customer_id(self, authorization: str | None) -> str | None:
        """The customer id of a bearer token, None without one; 401/403 if bad."""

    def is_staff(self, authorization: str | None) -> bool:
        """Whether the bearer is the brand's staff; 401 if the token is bad."""


class PlatformIdentity:
    """The platform's access tokens, checked by ``shared.auth``.

    A request without ``Authorization`` is a guest; one with a bad token is
    refused (401), and a token of another brand too (403), never treated as a
    guest.
    """

    def _claims(self, authorization: str | None) -> dict[str, Any] | None:
        if not authorization:
            return None
        return require_claims()

    def customer_id(self, authorization: str | None) -> str | None:
        claims = self._claims(authorization)
        if claims is None or "customer" not in claims.get("roles", []):
            return None
        return str(claims["sub"])

    def is_staff(self, authorization: str | None) -> bool:
        claims = self._claims(authorization)
        return bool(claims and STAFF_ROLES & set(claims.get("roles", [])))
