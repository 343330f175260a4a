"""The application factory every service builds on.

``create_service_app`` wires the same things into each service: configuration,
the tenant-routed database session, problem+json errors, request and
correlation ids, tenant resolution from the Host, OpenAPI with its page served
from local assets, health, readiness and metrics. Nothing connects at import
time; the engine is created here and connections open on first use.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
import swagger_ui_bundle
from flask import Blueprint, Flask, g, jsonify, request, send_from_directory
from flask_smorest import Blueprint as ApiBlueprint
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, text

from shared.config import Settings, load_settings
from shared.db.session import engine_options
from shared.http.api import ProblemApi
from shared.http.card_data import CardDataRefused, refuse_card_data
from shared.http.json_guard import check_json_body
from shared.http.problems import Problem
from shared.observability.logging import bind_ids, clear_ids
from shared.observability.metrics import instrument, metrics_response
from shared.tenancy.context import _current as _tenant_var
from shared.tenancy.registry import TenantRegistry

log = structlog.get_logger(__name__)

_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_BODY_TYPES = ("application/json", "application/merge-patch+json")
_NO_TENANT_ENDPOINTS = {"ops.healthz", "ops.readyz", "ops.metrics", "ops.docs_asset"}

ReadinessCheck = Callable[[], tuple[bool, str]]


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


@dataclass
class ServiceRuntime:
    """What the common library knows about one running service."""

    service: str
    settings: Settings
    db: SQLAlchemy
    engine: Engine
    registry: TenantRegistry
    api: ProblemApi
    readiness: dict[str, ReadinessCheck] = field(default_factory=dict)
    advisory: dict[str, ReadinessCheck] = field(default_factory=dict)
    tenantless_blueprints: set[str] = field(default_factory=set)
    raw_body_endpoints: set[str] = field(default_factory=set)
    extras: dict[str, Any] = field(default_factory=dict)


def runtime(app: Flask) -> ServiceRuntime:
    return app.extensions["telecart"]


def create_service_app(
    service: str,
    *,
    db: SQLAlchemy,
    blueprints: Iterable[ApiBlueprint],
    settings: Settings | None = None,
    tenantless_blueprints: Iterable[str] = (),
    title: str | None = None,
    description: str = "",
) -> Flask:
    settings = settings or load_settings()
    prefix = f"/api/{service}"
    url = settings.database_url(service)

    app = Flask(f"telecart.{service}")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(
            url, settings.db_pool_size, settings.db_max_overflow
        ),
        MAX_CONTENT_LENGTH=settings.max_content_length,
        API_TITLE=title or f"Telecart {service} service",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=prefix,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{prefix}/docs/assets/",
        API_SPEC_OPTIONS={"info": {"description": description}},
    )

    db.init_app(app)
    with app.app_context():
        engine = db.engine

    api = ProblemApi(app)
    for blueprint in blueprints:
        api.register_blueprint(
            blueprint, url_prefix=prefix + (blueprint.url_prefix or "")
        )

    app.extensions["telecart"] = ServiceRuntime(
        service=service,
        settings=settings,
        db=db,
        engine=engine,
        registry=TenantRegistry(engine, settings.platform_domain),
        api=api,
        tenantless_blueprints={"api-docs", "ops", *tenantless_blueprints},
    )
    runtime(app).readiness["database"] = _database_check(engine)
    if settings.uses_broker:
        # Web processes only write to the outbox: a broker outage delays events
        # but must not take every web pod out of service, so it is reported
        # without gating readiness. The worker's readiness does gate on it.
        from shared.events.amqp import BrokerOptions, broker_check

        runtime(app).advisory["broker"] = broker_check(
            settings.broker_url, BrokerOptions.from_settings(settings)
        )

    _register_ops(app, prefix)
    _register_request_hooks(app, service)
    instrument(app, service)
    return app


def _database_check(engine: Engine) -> ReadinessCheck:
    def check() -> tuple[bool, str]:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True, "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure
            return False, type(exc).__name__

    return check


def _register_ops(app: Flask, prefix: str) -> None:
    ops = Blueprint("ops", __name__)
    assets = swagger_ui_bundle.swagger_ui_path

    def healthz():
        return jsonify(status="ok", service=runtime(app).service)

    def readyz():
        rt = runtime(app)
        results = {}
        for name, check in rt.readiness.items():
            ok, detail = check()
            results[name] = {"ok": ok, "detail": detail}
        ready = all(r["ok"] for r in results.values())
        for name, check in rt.advisory.items():
            ok, detail = check()
            results[name] = {"ok": ok, "detail": detail, "gates_readiness": False}
        return jsonify(ready=ready, checks=results), (200 if ready else 503)

    def docs_asset(filename: str):
        return send_from_directory(assets, filename, max_age=86400)

    for base in ("", prefix):
        ops.add_url_rule(f"{base}/healthz", "healthz", healthz, strict_slashes=False)
        ops.add_url_rule(f"{base}/readyz", "readyz", readyz, strict_slashes=False)
    ops.add_url_rule("/metrics", "metrics", metrics_response)
    ops.add_url_rule(f"{prefix}/docs/assets/<path:filename>", "docs_asset", docs_asset)
    app.register_blueprint(ops)


def _register_request_hooks(app: Flask, service: str) -> None:
    @app.before_request
    def _ids() -> None:
        clear_ids()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _ID.match(incoming) else uuid.uuid4().hex
        incoming = request.headers.get("X-Correlation-ID", "")
        g.correlation_id = incoming if _ID.match(incoming) else g.request_id
        bind_ids(
            service=service, request_id=g.request_id, correlation_id=g.correlation_id
        )

    @app.before_request
    def _media_type() -> None:
        if request.method not in ("POST", "PUT", "PATCH"):
            return
        if request.endpoint in runtime(app).raw_body_endpoints:
            return
        if not request.content_length and not request.headers.get("Transfer-Encoding"):
            return
        if request.mimetype not in _BODY_TYPES:
            raise UnsupportedMediaType(
                "send the body as application/json, "
                f"not {request.mimetype or 'nothing'}"
            )

    @app.before_request
    def _card_data() -> None:
        if request.endpoint in runtime(app).raw_body_endpoints:
            return  # provider webhooks: signed bodies we verify, never cards
        if request.method in ("POST", "PUT", "PATCH") and request.is_json:
            check_json_body(request.get_data(cache=True))
        try:
            refuse_card_data(
                request.args.to_dict(flat=True),
                request.method,
                request.get_data(cache=True),
            )
        except CardDataRefused as refused:
            log.warning(
                "card_data_refused",
                fields=[e["field"] for e in refused.errors or []],
                path=request.path,
            )
            raise

    @app.before_request
    def _tenant() -> None:
        rt = runtime(app)
        if request.endpoint is None or request.endpoint in _NO_TENANT_ENDPOINTS:
            return
        if request.blueprint in rt.tenantless_blueprints:
            return
        tenant = rt.registry.resolve_host(request.host)
        g.tenant_token = _tenant_var.set(tenant)
        bind_ids(tenant_id=tenant.id, tenant=tenant.slug)

    @app.after_request
    def _echo_ids(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
            response.headers["X-Correlation-ID"] = g.correlation_id
        return response

    @app.teardown_request
    def _leave_tenant(_exc: BaseException | None) -> None:
        token = g.pop("tenant_token", None)
        if token is not None:
            _tenant_var.reset(token)
        clear_ids()
