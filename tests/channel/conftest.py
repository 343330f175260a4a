import pytest

from tests.channel.harness import (
    HARBOR,
    NORTHWIND,
    VOLT,
    build_channel_app,
    import_demo_pack,
)


@pytest.fixture
def channel_app(postgres_url):
    """The channel app with the three demo brands' packs imported."""
    app, catalog, clock = build_channel_app(postgres_url)
    for tenant in (NORTHWIND, VOLT, HARBOR):
        import_demo_pack(app, catalog, tenant)
    yield app, catalog, clock
    with app.app_context():
        from services.channel.models import db

        db.session.remove()
        db.engine.dispose()
