"""Who is asking (customer or brand staff), read in one small place.

Sign-in is built elsewhere (``shared/auth``, not merged yet). Until then the
basket verifies the tenant service's JWTs itself with pyjwt: RS256 only,
signature, expiry, issuer, audience, and ``tid`` equal to the brand resolved
from the Host. At merge, replace ``JwtCustomerIdentity`` with the shared
verifier; ``views.shopper`` and ``views.require_staff`` are the only callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from shared.http.problems import Forbidden, Unauthorized
from shared.tenancy.context import require_tenant

STAFF_ROLES = {"tenant_admin", "platform_admin"}


class CustomerIdentity(Protocol):
    def customer_id(self, authorization: str | None) -> str | None:
        """The customer id of a bearer token, None without one; 401/403 if bad."""

    def is_staff(self, authorization: str | None) -> bool:
        """Whether the bearer is the brand's staff; 401 if the token is bad."""


@dataclass(frozen=True)
class JwtCustomerIdentity:
    public_key: str
    issuer: str
    audience: str = "basket"

    def _claims(self, authorization: str | None) -> dict[str, Any] | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("send a Bearer token")
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "sub", "tid", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            raise Unauthorized("the token is not valid") from None
        if claims["tid"] != require_tenant().id:
            raise Forbidden("this token belongs to another brand")
        return claims

    def customer_id(self, authorization: str | None) -> str | None:
        claims = self._claims(authorization)
        if claims is None:
            return None
        if "customer" not in (claims.get("roles") or ()):
            return None
        return str(claims["sub"])

    def is_staff(self, authorization: str | None) -> bool:
        claims = self._claims(authorization)
        return bool(claims and STAFF_ROLES & set(claims.get("roles") or ()))


class NoSignIn:
    """Guests only: used until an identity verifier is configured."""

    def customer_id(self, authorization: str | None) -> str | None:
        if authorization:
            raise Unauthorized("sign-in is not configured for baskets")
        return None

    def is_staff(self, authorization: str | None) -> bool:
        return False
