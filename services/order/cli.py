"""``telecart order``: the saga's clock (``tick``), for every brand."""

from __future__ import annotations

import time

import click


@click.group("order")
def order_cli() -> None:
    """The order service's operator commands."""


@order_cli.command("tick")
@click.option("--every", type=float, default=0, help="Repeat every N seconds.")
def tick_command(every: float) -> None:
    """Time out overdue saga steps and re-send unacknowledged commands."""
    from services.cli import settings_or_exit
    from services.order.app import create_app
    from services.order.clock import tick_every_brand

    app = create_app(settings_or_exit())
    while True:
        for slug, report in tick_every_brand(app):
            click.echo(
                f"{slug}: {report.checked} checked, "
                f"{len(report.failed)} failed, "
                f"{report.resubmitted} lines resubmitted, "
                f"{report.simulated} simulated updates"
            )
        if not every:
            return
        time.sleep(every)
