"""Application factory of the catalog service."""

from flask import Flask

from shared.config import Settings
from shared.http.app import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    import services.catalog as package
    from services.catalog import models, views

    return create_service_app(
        "catalog",
        db=models.db,
        blueprints=[views.blp],
        settings=settings,
        description=package.__doc__ or "",
    )
