"""Checking one access token: algorithm, signature, claims and tenant."""

from __future__ import annotations

from typing import Any

import jwt

from shared.auth.jwks import JwksCache
from shared.http.problems import Forbidden, Unauthorized

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "tid")

# The ``tid`` of platform operators and platform machine clients: they act on
# no brand's host, only on the tenantless operator APIs.
PLATFORM_TID = "platform"

_BEARER = {"WWW-Authenticate": 'Bearer realm="telecart"'}


class TokenInvalid(Unauthorized):
    slug, title = "token-invalid", "The access token is missing or not valid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers=dict(_BEARER))


class TokenForAnotherTenant(Forbidden):
    slug, title = "token-for-another-tenant", "The token belongs to another brand"


class RoleMissing(Forbidden):
    slug, title = "role-missing", "The token lacks a role this action needs"


def audience_for(service: str) -> str:
    return f"telecart:{service}"


class TokenVerifier:
    """Verify RS256 tokens of one issuer for one audience."""

    def __init__(
        self, keys: JwksCache, *, issuer: str, audience: str, leeway_s: int = 30
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway_s = leeway_s

    def verify(self, token: str, *, tenant_id: str | None) -> dict[str, Any]:
        """The token's claims; 401 problem if invalid, 403 if for another tenant.

        ``tenant_id`` is the tenant the Host resolved to, or None on a
        tenantless (operator) API, where only platform tokens are accepted.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise TokenInvalid("the token is not a JWT") from None

        # Checked before any key is touched: "none", HS256 signed with the
        # public key and every other algorithm are refused outright.
        if header.get("alg") != ALGORITHM:
            raise TokenInvalid(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenInvalid("the token names no signing key (kid)")
        key = self.keys.key(kid)
        if key is None:
            raise TokenInvalid("the token is signed with an unknown key")

        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise TokenInvalid("the token has expired") from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenInvalid(f"the token has no {exc.claim} claim") from None
        except jwt.InvalidAudienceError:
            raise TokenInvalid(f"the token is not meant for {self.audience}") from None
        except jwt.InvalidIssuerError:
            raise TokenInvalid("the token comes from another issuer") from None
        except jwt.InvalidTokenError as exc:
            raise TokenInvalid(
                f"the token is not valid ({type(exc).__name__})"
            ) from None

        expected = tenant_id or PLATFORM_TID
        if claims["tid"] != expected:
            raise TokenForAnotherTenant(
                "the token was issued for another brand than this host serves"
                if tenant_id
                else "only platform tokens are accepted here"
            )
        if not isinstance(claims.get("roles", []), list):
            raise TokenInvalid("the roles claim must be a list")
        return claims
