"""Who the signed-in customer is, read in one small place.

Customer sign-in is built elsewhere (``shared/auth``, not merged yet). Until
then the basket verifies the tenant service's customer JWTs itself with
pyjwt: RS256 only, signature, expiry, issuer, audience, and ``tid`` equal to
the brand resolved from the Host. At merge, replace ``JwtCustomerIdentity``
with the shared verifier; ``customer_id`` is the only caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import jwt

from shared.http.problems import Forbidden, Unauthorized
from shared.tenancy.context import require_tenant


class CustomerIdentity(Protocol):
    def customer_id(self, authorization: str | None) -> str | None:
        """The customer id of a bearer token, None without one; 401/403 if bad."""


@dataclass(frozen=True)
class JwtCustomerIdentity:
    public_key: str
    issuer: str
    audience: str = "basket"

    def customer_id(self, authorization: str | None) -> str | None:
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
        if "customer" not in (claims.get("roles") or ()):
            raise Forbidden("only customers have baskets")
        return str(claims["sub"])


class NoSignIn:
    """Guests only: used until an identity verifier is configured."""

    def customer_id(self, authorization: str | None) -> str | None:
        if authorization:
            raise Unauthorized("sign-in is not configured for baskets")
        return None
