"""Application factory of the catalog service."""

from flask import Flask

from shared.config import Settings
from shared.http.app import create_service_app, runtime


def create_app(settings: Settings | None = None) -> Flask:
    import services.catalog as package
    from services.catalog import models, views
    from services.catalog.cache import make_cache

    app = create_service_app(
        "catalog",
        db=models.db,
        blueprints=[views.blp],
        settings=settings,
        description=package.__doc__ or "",
    )
    rt = runtime(app)
    cache = make_cache(rt.settings.redis_url)
    rt.extras["catalog_cache"] = cache
    rt.readiness["catalog_cache"] = cache.readiness
    if rt.settings.device_master_url:
        from services.catalog.device_master import DeviceMasterClient

        client = DeviceMasterClient(
            rt.settings.device_master_url, timeout_s=rt.settings.http_timeout_s
        )
        rt.extras["device_master"] = client
        rt.readiness["device_master"] = client.readiness
    return app
