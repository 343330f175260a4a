import pytest

from tests.catalog.harness import build_with_brands


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path}/catalog.db"


@pytest.fixture(params=["sqlite", "postgres"])
def any_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/catalog.db"
        return
    yield request.getfixturevalue("postgres_url")


@pytest.fixture
def catalog_app(any_url):
    """The catalog with the three demo brands, on SQLite and on PostgreSQL."""
    return build_with_brands(any_url)
