"""Using the verifier in Flask views: ``@requires_auth(roles=[...])``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, g, request

from shared.auth.jwks import HttpJwksSource, JwksCache, JwksFetch, in_process_jwks
from shared.auth.verify import RoleMissing, TokenInvalid, TokenVerifier, audience_for
from shared.tenancy.context import current_tenant

_EXTRA = "token_verifier"


def install_token_verifier(
    app: Flask, source: JwksFetch | None = None, **cache_options: Any
) -> TokenVerifier:
    """Give a service app its verifier.

    ``source`` returns the JWKS document. By default: over HTTP from
    TENANT_JWKS_URL when it is set, else from the in-process provider that the
    tenant app registers in the embedded mode (``provide_jwks_in_process``).
    """
    rt = app.extensions["telecart"]
    settings = rt.settings
    if source is None and settings.tenant_jwks_url:
        source = HttpJwksSource(settings.tenant_jwks_url, settings.http_timeout_s)
    elif source is None:
        source = in_process_jwks
    verifier = TokenVerifier(
        JwksCache(source, **cache_options),
        issuer=settings.jwt_issuer,
        audience=audience_for(rt.service),
    )
    rt.extras[_EXTRA] = verifier
    return verifier


def _verifier() -> TokenVerifier:
    rt = current_app.extensions["telecart"]
    verifier = rt.extras.get(_EXTRA)
    if verifier is None:
        verifier = install_token_verifier(current_app)
    return verifier


def require_claims(roles: Iterable[str] | None = None) -> dict[str, Any]:
    """Verify the request's bearer token and return its claims."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenInvalid("send an access token as 'Authorization: Bearer <token>'")

    tenant = current_tenant()
    claims = _verifier().verify(token.strip(), tenant_id=tenant.id if tenant else None)

    wanted = set(roles or ())
    if wanted and not wanted & set(claims.get("roles", [])):
        raise RoleMissing(f"this needs one of the roles {sorted(wanted)}")
    g.auth_claims = claims
    return claims


def requires_auth(roles: Iterable[str] | None = None) -> Callable:
    """Refuse the view unless a valid token with one of ``roles`` came with it."""
    wanted = tuple(roles or ())

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            require_claims(wanted)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def current_claims() -> dict[str, Any]:
    """The claims of the token ``requires_auth`` accepted for this request."""
    return g.auth_claims
