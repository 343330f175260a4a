import uuid

import pytest

from shared.events.amqp import Topology
from tests.events.broker import delete_topology


@pytest.fixture
def topology(rabbitmq_url):
    """An exchange and queues of this test's own, removed afterwards."""
    names = Topology.for_exchange(f"tc{uuid.uuid4().hex[:10]}.events")
    yield names
    delete_topology(rabbitmq_url, names)


@pytest.fixture
def postgres_urls():
    """A factory of fresh PostgreSQL databases, one per service, all dropped after."""
    from tests.support.services import fresh_postgres_database

    drops = []

    def make(*services: str) -> dict[str, str]:
        urls = {}
        for service in services:
            url, drop = fresh_postgres_database()
            drops.append(drop)
            urls[service] = url
        return urls

    yield make
    for drop in drops:
        drop()
