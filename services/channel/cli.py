"""``telecart channel ...``: operator commands of the channel service."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml


@click.group("channel")
def channel_commands() -> None:
    """What each sales channel shows: brand packs, previews."""


@channel_commands.command("import-pack")
@click.argument(
    "pack_file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--brand", "slug", required=True, help="the brand's slug, e.g. northwind")
def import_pack(pack_file: Path, slug: str) -> None:
    """Import a brand pack's channels, placements and content (all or nothing)."""
    from services.channel import service
    from services.channel.app import create_app
    from services.channel.errors import BrandPackRefused
    from services.channel.models import db
    from services.cli import settings_or_exit
    from shared.http.app import runtime
    from shared.tenancy import tenant_scope

    app = create_app(settings_or_exit())
    tenant = runtime(app).registry.by_slug(slug)
    if tenant is None:
        click.echo(f"no brand {slug} in the channel service's registry", err=True)
        sys.exit(2)

    pack = yaml.safe_load(pack_file.read_text())
    with app.app_context(), tenant_scope(tenant):
        try:
            report = service.import_brand_pack(pack)
        except BrandPackRefused as refused:
            for problem in refused.errors or []:
                click.echo(f"{problem['field']}: {problem['message']}", err=True)
            sys.exit(1)
        finally:
            db.session.remove()
    click.echo(
        f"{slug}: {report['channels']} channel(s), {report['placements']} "
        f"placement(s), {report['content_entries']} content entries"
    )
