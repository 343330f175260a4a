"""Application factory of the tenant service."""

from __future__ import annotations

import structlog
from argon2 import PasswordHasher
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from shared.auth import install_token_verifier, provide_jwks_in_process
from shared.config import Settings
from shared.http.app import create_service_app, runtime
from shared.tenancy.context import current_tenant

log = structlog.get_logger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    publish=None,
    hasher: PasswordHasher | None = None,
) -> Flask:
    """The tenant service; ``publish`` replaces the event bus (tests, embedded)."""
    import services.tenant as package
    from services.tenant import models, oauth, operator_views, provisioning, views
    from services.tenant.tokens import KeyRing
    from services.tenant.wiring import Wiring
    from shared.secrets import app_vault

    app = create_service_app(
        "tenant",
        db=models.db,
        blueprints=[views.blp, operator_views.operator_blp, operator_views.keys_blp],
        tenantless_blueprints=["operator", "keys"],
        settings=settings,
        description=package.__doc__ or "",
    )
    rt = runtime(app)
    vault = app_vault(app)
    keyring = KeyRing(vault, rt.settings.jwt_issuer)
    rt.extras["tenant"] = Wiring(
        db=models.db,
        settings=rt.settings,
        registry=rt.registry,
        publish=publish or provisioning.bus_publisher(),
        vault=vault,
        hasher=hasher or PasswordHasher(),
        keyring=keyring,
    )

    # Sign-in: authlib's token endpoint (form bodies), rate-limited per account
    # and per client; Redis holds the counters when REDIS_URL is set.
    rt.raw_body_endpoints |= {
        "tenant.token",
        "tenant.revoke",
        "operator.operator_token",
    }
    rt.extras["limiter"] = Limiter(
        get_remote_address,
        app=app,
        storage_uri=rt.settings.redis_url or "memory://",
        default_limits=[],
        key_prefix="telecart-tenant",
    )
    rt.extras["oauth_server"] = oauth.create_authorization_server(app)

    # The tenant service verifies its own tokens from its own key ring, and
    # in the embedded mode (no TENANT_JWKS_URL) hands it to the other apps.
    def key_set() -> dict:
        with app.app_context():
            document = keyring.jwks(models.db.session)
            models.db.session.commit()
            return document

    install_token_verifier(
        app, key_set, ttl_s=30, max_age_s=600, min_refresh_interval_s=1
    )
    if not rt.settings.tenant_jwks_url:
        provide_jwks_in_process(key_set)

    _count_api_requests(app)
    return app


def _count_api_requests(app: Flask) -> None:
    from services.tenant.usage import count_usage

    engine = runtime(app).engine

    @app.after_request
    def _count(response):
        tenant = current_tenant()
        if tenant is None or response.status_code >= 500:
            return response
        try:
            with engine.begin() as connection:
                count_usage(connection, tenant.id, "api_requests")
        except Exception as exc:  # noqa: BLE001 - billing counts never fail a request
            log.warning("usage_count_failed", error=type(exc).__name__)
        return response
