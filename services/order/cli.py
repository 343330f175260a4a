"""``telecart order``: the saga's clock (``tick``), for every brand."""

from __future__ import annotations

import time

import click

from shared.tenancy.context import tenant_scope


@click.group("order")
def order_cli() -> None:
    """The order service's operator commands."""


@order_cli.command("tick")
@click.option("--every", type=float, default=0, help="Repeat every N seconds.")
def tick_command(every: float) -> None:
    """Time out overdue saga steps and re-send unacknowledged commands."""
    from services.cli import settings_or_exit
    from services.order import service
    from services.order.app import create_app
    from shared.http.app import runtime

    app = create_app(settings_or_exit())
    while True:
        with app.app_context():
            for tenant in runtime(app).registry.all():
                if not tenant.is_active:
                    continue
                with tenant_scope(tenant):
                    report = service.tick()
                    click.echo(
                        f"{tenant.slug}: {report.checked} checked, "
                        f"{len(report.failed)} failed, "
                        f"{report.resubmitted} lines resubmitted"
                    )
        if not every:
            return
        time.sleep(every)
