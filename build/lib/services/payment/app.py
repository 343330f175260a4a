"""Application factory of the payment service."""

from flask import Flask

from shared.config import Settings
from shared.http.app import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    import services.payment as package
    from services.payment import models, views

    return create_service_app(
        "payment",
        db=models.db,
        blueprints=[views.blp],
        settings=settings,
        description=package.__doc__ or "",
    )
