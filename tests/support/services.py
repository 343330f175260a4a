"""Reaching the real PostgreSQL, RabbitMQ and Redis a test needs.

Absent, a test skips with the reason; with ``REQUIRE_SERVICES=1`` (CI) it
fails instead, so a green CI run never hides a skipped proof.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get(
    "TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


def missing(what: str, url: str) -> None:
    reason = f"{what} is not reachable at {urlparse(url).netloc}"
    if services_required():
        pytest.fail(f"{reason}, and REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url.replace("postgresql+psycopg", "postgresql"))
    try:
        with socket.create_connection(
            (parsed.hostname, parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def fresh_postgres_database() -> tuple[str, callable]:
    """Create an empty database; return its URL and a function that drops it."""
    from sqlalchemy import create_engine, text

    if not reachable(POSTGRES_ADMIN_URL, 5432):
        missing("PostgreSQL", POSTGRES_ADMIN_URL)
    name = f"telecart_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def missing_tool(name: str, how: str) -> None:
    """A test tool is absent: skip with how to get it, or fail in CI."""
    reason = f"{name} is not installed ({how})"
    if services_required():
        pytest.fail(f"{reason}, and REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
    pytest.skip(reason)
