"""Configuration: environment variables only, one reader, checked at start-up.

A bad or missing value stops the process with a one-line message that names the
variable, so an operator never has to read a traceback to fix a deployment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from environs import Env, EnvValidationError
from marshmallow.validate import OneOf, Range, Regexp

from shared import SERVICES

_DOMAIN = Regexp(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9-]{1,63})*$",
    error="must be a lower-case DNS name",
)
_DATABASE_URL = Regexp(
    r"^(postgresql(\+psycopg)?|sqlite)://",
    error="must be a postgresql:// or sqlite:// URL",
)
_BROKER_URL = Regexp(
    r"^(amqp|amqps|pyamqp|memory)://", error="must be amqp:// or memory://"
)
_NAME = Regexp(r"^[A-Za-z0-9_.-]{1,200}$", error="must be an AMQP exchange name")
_DELAYS = Regexp(
    r"^[1-9][0-9]{0,7}(,[1-9][0-9]{0,7})*$",
    error="must be comma-separated delays in milliseconds, e.g. 1000,5000",
)
_SERVICE_URL = Regexp(r"^https?://[^\s/]+/?$", error="must be http(s)://host[:port]")
_HTTP_URL = Regexp(r"^https?://", error="must be an http(s):// URL")
_REDIS_URL = Regexp(r"^(redis|rediss|unix)://", error="must be a redis:// URL")
_HTTP_URL = Regexp(r"^https?://", error="must be an http:// or https:// URL")

# Development and test only: a fixed, public key so that embedded runs can read
# what they stored yesterday. Production refuses to start without SECRETS_KEYS.
DEVELOPMENT_SECRETS_KEY = "dGVsZWNhcnQtZGV2LWtleS1ub3Qtc2VjcmV0LTAwMDE="


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message is one line."""


@dataclass(frozen=True)
class Settings:
    environment: str
    platform_domain: str
    data_dir: Path
    database_urls: Mapping[str, str]
    broker_url: str
    redis_url: str | None
    log_level: str
    log_format: str
    jwt_issuer: str
    max_content_length: int
    http_timeout_s: float
    db_pool_size: int = 5
    db_max_overflow: int = 5
    events_exchange: str = "telecart.events"
    event_max_attempts: int = 5
    event_retry_delays_ms: tuple[int, ...] = (1_000, 5_000, 30_000)
    event_relay_lease_s: float = 30.0
    broker_heartbeat_s: int = 10
    broker_timeout_s: float = 5.0
    content_max_age_s: float = 300.0
    contentful_timeout_s: float = 2.0
    tenant_jwks_url: str | None = None
    secrets_keys: tuple[str, ...] = ()
    provisioning_timeout_s: float = 120.0
    catalog_url: str | None = None  # basket -> catalog; unset: demo brand packs
    order_url: str | None = None  # basket -> order; unset: in-memory hand-off
    device_master_url: str | None = None
    order_fulfilment_simulator: bool = False  # built-in fulfilment, never in prod
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def uses_broker(self) -> bool:
        return not self.broker_url.startswith("memory://")

    def database_url(self, service: str) -> str:
        return self.database_urls[service]


def load_settings() -> Settings:
    """Read and check every setting; raise ConfigError naming each bad one."""
    env = Env(eager=False)
    data_dir_default = Path(os.environ.get("TELECART_DATA_DIR", "var")).absolute()

    environment = env.str(
        "TELECART_ENV",
        "development",
        validate=OneOf(["development", "test", "production"]),
    )
    platform_domain = env.str("PLATFORM_DOMAIN", "localhost", validate=_DOMAIN)
    data_dir = env.path("TELECART_DATA_DIR", "var")
    database_urls = {
        name: env.str(
            f"{name.upper()}_DATABASE_URL",
            f"sqlite:///{data_dir_default}/{name}.db",
            validate=_DATABASE_URL,
        )
        for name in SERVICES
    }
    broker_url = env.str("BROKER_URL", "memory://", validate=_BROKER_URL)
    redis_url = env.str("REDIS_URL", None, validate=_REDIS_URL)
    log_level = env.str(
        "LOG_LEVEL", "INFO", validate=OneOf(["DEBUG", "INFO", "WARNING", "ERROR"])
    )
    log_format = env.str("LOG_FORMAT", "json", validate=OneOf(["json", "console"]))
    jwt_issuer = env.str("JWT_ISSUER", "https://id.telecart.local")
    max_content_length = env.int("MAX_CONTENT_LENGTH", 1_048_576)
    http_timeout_s = env.float("HTTP_TIMEOUT_S", 2.0)
    db_pool_size = env.int("DB_POOL_SIZE", 5)
    db_max_overflow = env.int("DB_MAX_OVERFLOW", 5)
    events_exchange = env.str("EVENTS_EXCHANGE", "telecart.events", validate=_NAME)
    event_max_attempts = env.int("EVENT_MAX_ATTEMPTS", 5, validate=Range(1, 100))
    event_retry_delays_ms = env.str(
        "EVENT_RETRY_DELAYS_MS", "1000,5000,30000", validate=_DELAYS
    )
    event_relay_lease_s = env.float(
        "EVENT_RELAY_LEASE_S", 30.0, validate=Range(1, 3600)
    )
    broker_heartbeat_s = env.int("BROKER_HEARTBEAT_S", 10, validate=Range(0, 600))
    broker_timeout_s = env.float("BROKER_TIMEOUT_S", 5.0, validate=Range(0.1, 120))
    content_max_age_s = env.float(
        "CHANNEL_CONTENT_MAX_AGE_S", 300.0, validate=Range(min=0, max=86_400)
    )
    contentful_timeout_s = env.float(
        "CONTENTFUL_TIMEOUT_S", 2.0, validate=Range(min=0.1, max=30)
    )
    tenant_jwks_url = env.str("TENANT_JWKS_URL", None, validate=_HTTP_URL)
    secrets_keys_raw = env.str("SECRETS_KEYS", "")
    provisioning_timeout_s = env.float("TENANT_PROVISIONING_TIMEOUT_S", 120.0)
    catalog_url = env.str("CATALOG_URL", None, validate=_SERVICE_URL)
    order_url = env.str("ORDER_URL", None, validate=_SERVICE_URL)
    device_master_url = env.str("DEVICE_MASTER_URL", None, validate=_HTTP_URL)
    order_fulfilment_simulator = env.bool("ORDER_FULFILMENT_SIMULATOR", False)

    try:
        env.seal()
    except EnvValidationError as exc:
        raise ConfigError(_one_line(exc.error_messages)) from None

    if environment == "production" and any(
        url.startswith("sqlite") for url in database_urls.values()
    ):
        raise ConfigError(
            "config error: *_DATABASE_URL: production needs PostgreSQL, not SQLite"
        )

    if environment == "production" and order_fulfilment_simulator:
        raise ConfigError(
            "config error: ORDER_FULFILMENT_SIMULATOR: not allowed in production"
        )

    secrets_keys = _secrets_keys(secrets_keys_raw, environment)
    if provisioning_timeout_s <= 0:
        raise ConfigError(
            "config error: TENANT_PROVISIONING_TIMEOUT_S: must be a positive number"
        )

    return Settings(
        environment=environment,
        platform_domain=platform_domain,
        data_dir=Path(data_dir),
        database_urls=database_urls,
        broker_url=broker_url,
        redis_url=redis_url,
        log_level=log_level,
        log_format=log_format,
        jwt_issuer=jwt_issuer,
        max_content_length=max_content_length,
        http_timeout_s=http_timeout_s,
        db_pool_size=db_pool_size,
        db_max_overflow=db_max_overflow,
        events_exchange=events_exchange,
        event_max_attempts=event_max_attempts,
        event_retry_delays_ms=tuple(int(ms) for ms in event_retry_delays_ms.split(",")),
        event_relay_lease_s=event_relay_lease_s,
        broker_heartbeat_s=broker_heartbeat_s,
        broker_timeout_s=broker_timeout_s,
        content_max_age_s=content_max_age_s,
        contentful_timeout_s=contentful_timeout_s,
        tenant_jwks_url=tenant_jwks_url,
        secrets_keys=secrets_keys,
        provisioning_timeout_s=provisioning_timeout_s,
        catalog_url=catalog_url,
        order_url=order_url,
        device_master_url=device_master_url,
        order_fulfilment_simulator=order_fulfilment_simulator,
    )


def _secrets_keys(raw: str, environment: str) -> tuple[str, ...]:
    """SECRETS_KEYS: comma-separated Fernet keys; the first encrypts, all decrypt."""
    import base64
    import binascii

    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if not keys:
        if environment == "production":
            raise ConfigError("config error: SECRETS_KEYS: required in production")
        return (DEVELOPMENT_SECRETS_KEY,)
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ConfigError(
                f"config error: SECRETS_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64 bytes)"
            )
    return keys


def _one_line(errors: Mapping[str, list[str]]) -> str:
    parts = [f"{name}: {' '.join(messages)}" for name, messages in errors.items()]
    return "config error: " + "; ".join(parts)
