"""``telecart catalog ...``: operator commands of the catalog service."""

from __future__ import annotations

import click

from shared.tenancy import tenant_scope


@click.group("catalog")
def catalog() -> None:
    """Catalog service operations."""


@catalog.command("sweep-reservations")
def sweep_reservations() -> None:
    """Release every stock reservation past its expiry, for every brand."""
    from services.catalog import service
    from services.catalog.app import create_app
    from services.catalog.models import db
    from services.cli import settings_or_exit
    from shared.http.app import runtime

    app = create_app(settings_or_exit())
    total = 0
    with app.app_context():
        for tenant in runtime(app).registry.all():
            if not tenant.is_active:
                continue
            with tenant_scope(tenant):
                released = service.sweep_expired_reservations()
                db.session.remove()
            total += released
            click.echo(f"{tenant.slug}: {released} expired reservation(s) released")
    click.echo(f"total: {total}")


@catalog.command("sync-devices")
def sync_devices() -> None:
    """Fetch the external device master feed into the shared device table."""
    from services.catalog import service
    from services.catalog.app import create_app
    from services.catalog.models import db
    from services.cli import settings_or_exit
    from shared.http.app import runtime

    app = create_app(settings_or_exit())
    client = runtime(app).extras.get("device_master")
    if client is None:
        raise click.ClickException("DEVICE_MASTER_URL is not set")
    with app.app_context():
        answer = service.refresh_device_master(client)
        db.session.remove()
    click.echo(
        f"devices: {answer['devices']} ({'live' if answer['live'] else 'last good'})"
    )
