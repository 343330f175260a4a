"""``telecart basket ...``: the basket service's operator commands."""

from __future__ import annotations

from datetime import UTC, datetime

import click


@click.group("basket")
def basket_cli() -> None:
    """Basket service commands."""


@basket_cli.command("abandon")
def abandon() -> None:
    """Announce baskets idle past each brand's delay (basket.abandoned, once)."""
    from services.basket.abandonment import abandon_for_every_brand
    from services.basket.app import create_app
    from services.cli import settings_or_exit

    app = create_app(settings_or_exit())
    counts = abandon_for_every_brand(app, datetime.now(UTC))
    for slug, count in counts.items():
        click.echo(f"{slug}: {count} basket(s) abandoned")
