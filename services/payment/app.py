"""Application factory of the payment service."""

from flask import Flask

from shared.config import Settings
from shared.http.app import create_service_app, runtime


def create_app(settings: Settings | None = None) -> Flask:
    import services.payment as package
    from services.payment import models, views

    app = create_service_app(
        "payment",
        db=models.db,
        blueprints=[views.blp],
        settings=settings,
        description=package.__doc__ or "",
    )
    # Provider webhooks are verified on their raw, signed bodies.
    runtime(app).raw_body_endpoints.add(views.WEBHOOK_ENDPOINT)
    return app
