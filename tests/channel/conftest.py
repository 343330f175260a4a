"""Each test gets its own database, copied from a template built once.

The template holds the three demo brands' schemas at head, registered, with
their packs imported; ``CREATE DATABASE ... TEMPLATE`` copies it in a fraction
of the time the migrations and imports take.
"""

import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.channel.harness import (
    BRANDS,
    build_channel_app,
    dispose,
    import_demo_pack,
    load_pack,
)
from tests.support.services import POSTGRES_ADMIN_URL, fresh_postgres_database


@pytest.fixture(scope="session")
def channel_template():
    url, drop = fresh_postgres_database()
    app, catalog, _ = build_channel_app(url)
    for tenant in BRANDS:
        import_demo_pack(app, catalog, tenant)
    dispose(app)
    yield url.rsplit("/", 1)[1]
    drop()


def _copy_of(template: str):
    name = f"telecart_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def module_db(channel_template):
    """One copy per test module, for tests that only read and add events."""
    yield from _copy_of(channel_template)


@pytest.fixture
def fresh_db(channel_template):
    """A copy of its own, for a test that changes placements or settings."""
    yield from _copy_of(channel_template)


def _app_over(url):
    app, catalog, clock = build_channel_app(url, migrate=False)
    for tenant in BRANDS:
        catalog.add_pack(tenant, PACKS[tenant.slug])
    return app, catalog, clock


PACKS = {tenant.slug: load_pack(tenant.slug) for tenant in BRANDS}


@pytest.fixture
def channel_app(module_db):
    """The channel app over the module's database (demo packs imported)."""
    app, catalog, clock = _app_over(module_db)
    yield app, catalog, clock
    dispose(app)


@pytest.fixture
def fresh_channel_app(fresh_db):
    """The channel app over a database of its own (demo packs imported)."""
    app, catalog, clock = _app_over(fresh_db)
    yield app, catalog, clock
    dispose(app)
