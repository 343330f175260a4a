import pytest

from tests.support.services import fresh_postgres_database


@pytest.fixture
def postgres_url():
    url, drop = fresh_postgres_database()
    yield url
    drop()
