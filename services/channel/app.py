"""Application factory of the channel service."""

from flask import Flask

from shared.config import Settings
from shared.http.app import create_service_app, runtime


def create_app(settings: Settings | None = None, channel_runtime=None) -> Flask:
    """The channel app; ``channel_runtime`` swaps adapters (catalog, clock) in tests."""
    import services.channel as package
    from services.channel import models, service, views

    app = create_service_app(
        "channel",
        db=models.db,
        blueprints=[views.blp],
        settings=settings,
        description=package.__doc__ or "",
    )
    rt = runtime(app)
    rt.extras["channel"] = channel_runtime or service.runtime_from(rt.settings)
    # Contentful signs the exact bytes it sends, with its own media type.
    rt.raw_body_endpoints.add("channel.contentful_webhook")
    return app
