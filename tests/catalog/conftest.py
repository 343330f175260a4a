import pytest

from tests.catalog.harness import build_with_brands
from tests.support.services import fresh_postgres_database


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path}/catalog.db"


@pytest.fixture(params=["sqlite", "postgres"])
def any_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/catalog.db"
        return
    yield request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def catalog_app(request, tmp_path_factory):
    """The three demo brands, imported once per session on each database.

    Shared by read-only tests; tests that change data build their own.
    """
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("catalog")
        yield build_with_brands(f"sqlite:///{folder}/catalog.db")
        return
    url, drop = fresh_postgres_database()
    app = build_with_brands(url)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    drop()


@pytest.fixture
def client(catalog_app):
    return catalog_app.test_client()
