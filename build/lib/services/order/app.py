"""Application factory of the order service."""

from flask import Flask

from shared.config import Settings
from shared.http.app import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    import services.order as package
    from services.order import models, views

    return create_service_app(
        "order",
        db=models.db,
        blueprints=[views.blp],
        settings=settings,
        description=package.__doc__ or "",
    )
