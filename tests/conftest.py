from urllib.parse import urlparse

import pytest

from tests.support.services import (
    RABBITMQ_URL,
    fresh_postgres_database,
    missing,
    reachable,
)


@pytest.fixture
def postgres_url():
    url, drop = fresh_postgres_database()
    yield url
    drop()


@pytest.fixture
def rabbitmq_url():
    """The test broker's URL; skips (or fails with REQUIRE_SERVICES=1) without it."""
    if not reachable(RABBITMQ_URL, 5672):
        where = urlparse(RABBITMQ_URL)
        missing("RabbitMQ", f"amqp://{where.hostname}:{where.port or 5672}")
    return RABBITMQ_URL
