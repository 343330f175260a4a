"""Verifying the platform's access tokens in every service.

The tenant service signs RS256 JWTs and publishes its public keys as a JWKS.
Every service verifies a token against those keys (``JwksCache``: bounded,
refreshed on a TTL and on an unknown ``kid`` at a limited rate, serving the
last good keys through a short outage but never beyond a maximum age), checks
issuer, audience (``telecart:<service>``) and expiry, and refuses a token whose
``tid`` is not the tenant the Host resolved to.

Views use ``@requires_auth(roles=[...])``; the claims are then available from
``current_claims()``.
"""

from shared.auth.jwks import (
    HttpJwksSource,
    JwksCache,
    JwksUnavailable,
    in_process_jwks,
    provide_jwks_in_process,
)
from shared.auth.verify import (
    PLATFORM_TID,
    RoleMissing,
    TokenForAnotherTenant,
    TokenInvalid,
    TokenVerifier,
    audience_for,
)
from shared.auth.views import (
    current_claims,
    install_token_verifier,
    require_claims,
    requires_auth,
)

__all__ = [
    "PLATFORM_TID",
    "HttpJwksSource",
    "JwksCache",
    "JwksUnavailable",
    "RoleMissing",
    "TokenForAnotherTenant",
    "TokenInvalid",
    "TokenVerifier",
    "audience_for",
    "current_claims",
    "in_process_jwks",
    "provide_jwks_in_process",
    "install_token_verifier",
    "require_claims",
    "requires_auth",
]
