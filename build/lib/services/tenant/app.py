"""Application factory of the tenant service."""

from flask import Flask

from shared.config import Settings
from shared.http.app import create_service_app


def create_app(settings: Settings | None = None) -> Flask:
    import services.tenant as package
    from services.tenant import models, views

    return create_service_app(
        "tenant",
        db=models.db,
        blueprints=[views.blp],
        settings=settings,
        description=package.__doc__ or "",
    )
