"""HTTP endpoints a brand's host serves: config, theme, sign-in, accounts.

Operator (tenantless) endpoints are in ``operator_views.py``.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from flask_smorest import Blueprint

from services.tenant import audit_views, brand_secrets, identity, oauth
from services.tenant.audit import Actor
from services.tenant.errors import AccountNotFound
from services.tenant.schemas import (
    AccountSchema,
    AuditEntrySchema,
    AuditQuerySchema,
    PublicConfigSchema,
    RegistrationSchema,
    SecretInSchema,
    SecretSchema,
)
from services.tenant.service import get_brand
from services.tenant.theme import etag_of, theme_css
from services.tenant.wiring import wiring
from shared.auth import current_claims, requires_auth
from shared.tenancy.context import current_tenant, require_tenant

blp = Blueprint(
    "tenant",
    __name__,
    description="A brand's public config and theme, sign-in and accounts.",
)

RATE_PER_CLIENT = "30/minute"
RATE_PER_ACCOUNT = "5/minute"
CONFIG_MAX_AGE = 60


def _w():
    return wiring(current_app)


def _brand():
    return get_brand(_w(), require_tenant().id)


def _cached(body: str | bytes, mimetype: str, max_age: int) -> Response:
    """A cacheable answer: strong ETag, 304 on a matching If-None-Match."""
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag_of(body))
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.vary.add("Host")
    return response.make_conditional(request)


@blp.route("/config")
@blp.response(200, PublicConfigSchema)
def public_config():
    """The brand's public configuration for the storefront (ETag, cacheable)."""
    brand = _brand()
    body = {
        "slug": brand.slug,
        "name": brand.name,
        "locale": brand.locale,
        "languages": list(brand.languages or []),
        "currency": brand.currency,
        "tax": dict(brand.tax or {}),
        "features": dict(brand.features or {}),
        "theme": dict(brand.theme or {}),
        "payment_providers": list(brand.payment_providers or []),
    }
    return _cached(current_app.json.dumps(body), "application/json", CONFIG_MAX_AGE)


@blp.route("/theme.css")
@blp.response(200, content_type="text/css")
def theme_stylesheet():
    """The brand's theme as CSS custom properties (ETag, cacheable)."""
    brand = _brand()
    return _cached(theme_css(brand.slug, brand.theme or {}), "text/css", 300)


@blp.route("/accounts", methods=["POST"])
@blp.arguments(RegistrationSchema)
@blp.response(201, AccountSchema)
def register_customer(body):
    """Register a customer of this brand (an account of this brand only)."""
    account = identity.create_account(
        _w(), _brand(), body["email"], body["password"], ["customer"], body["name"]
    )
    return account


@blp.route("/accounts/me")
@requires_auth(roles=["customer", "tenant_admin"])
@blp.response(200, AccountSchema)
def who_am_i():
    """The signed-in account (token of this brand only)."""
    claims = current_claims()
    account = identity.get_account(_w(), require_tenant(), claims["sub"])
    if account is None:
        raise AccountNotFound("the account no longer exists")
    return account


@blp.route("/audit")
@requires_auth(roles=["tenant_admin"])
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEntrySchema(many=True))
def brand_audit(query):
    """The audit trail of this brand, for its tenant admins."""
    return audit_views.query(_w(), {**query, "tenant_id": require_tenant().id})


@blp.route("/secrets")
@requires_auth(roles=["tenant_admin"])
@blp.response(200, SecretSchema(many=True))
def list_brand_secrets():
    """The brand's secrets, masked (…abcd)."""
    return brand_secrets.list_secrets(_w(), _brand())


@blp.route("/secrets/<name>", methods=["PUT"])
@requires_auth(roles=["tenant_admin"])
@blp.arguments(SecretInSchema)
@blp.response(200, SecretSchema)
def put_brand_secret(body, name):
    """Store a secret (encrypted at rest); the answer shows it masked."""
    actor = Actor.from_claims(current_claims())
    return brand_secrets.put_secret(_w(), _brand(), name, body["value"], actor)


@blp.route("/.well-known/openid-configuration")
def openid_configuration():
    """OpenID discovery document for this host's token endpoint."""
    base = request.host_url.rstrip("/") + "/api/tenant"
    return jsonify(oauth.discovery_document(_w().settings.jwt_issuer, base))


@blp.route("/.well-known/oauth-authorization-server")
def oauth_metadata():
    """OAuth 2.0 authorization server metadata (RFC 8414), the same document."""
    return openid_configuration()


@blp.route("/oauth/token", methods=["POST"])
def token():
    """OAuth 2.0 token endpoint (password, client_credentials, refresh_token)."""
    return issue_token_response()


@blp.route("/oauth/revoke", methods=["POST"])
def revoke():
    """RFC 7009: revoke a refresh token and every token of its sign-in."""
    server = current_app.extensions["telecart"].extras["oauth_server"]
    return server.create_endpoint_response("revocation")


def _client_key() -> str:
    tenant = require_tenant_or_platform()
    return f"{tenant}:{request.remote_addr or 'unknown'}"


def _account_key() -> str:
    tenant = require_tenant_or_platform()
    return f"{tenant}:{(request.form.get('username') or '').strip().lower()}"


def require_tenant_or_platform() -> str:
    tenant = current_tenant()
    return tenant.id if tenant else "platform"


def issue_token_response():
    """Shared by the brand and operator token endpoints, rate-limited."""
    extras = current_app.extensions["telecart"].extras
    limiter, server = extras["limiter"], extras["oauth_server"]
    with limiter.limit(RATE_PER_CLIENT, key_func=_client_key, scope="token-client"):
        if request.form.get("grant_type") == "password":
            with limiter.limit(
                RATE_PER_ACCOUNT, key_func=_account_key, scope="token-account"
            ):
                return server.create_token_response()
        return server.create_token_response()
