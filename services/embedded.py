"""``telecart run``: every service in one process on SQLite, events in-process."""

from __future__ import annotations

import click
from werkzeug.serving import run_simple

from services.migration import migrate_service
from services.platform import create_platform
from shared import SERVICES
from shared.config import Settings


def run_embedded(settings: Settings, host: str, port: int) -> None:
    for service in SERVICES:
        migrate_service(service, settings)

    platform = create_platform(settings)

    click.echo(f"Telecart is listening on http://{host}:{port}")
    for service in SERVICES:
        click.echo(
            f"  {service:<8} API docs: http://{settings.platform_domain}:{port}"
            f"/api/{service}/docs"
        )
    click.echo(
        f"  a brand's API: http://<brand>.{settings.platform_domain}:{port}/api/<service>/..."
    )
    run_simple(host, port, platform, threaded=True, use_reloader=False)
