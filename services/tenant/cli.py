"""``telecart tenants ...``: onboard a brand pack, operators, audit, keys."""

from __future__ import annotations

import getpass
import sys
import time

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from shared.brandpack import PackRefused, load_pack


def _app():
    from services.cli import settings_or_exit
    from services.tenant.app import create_app
    from shared.db.migrate import migration_engine, upgrade_platform

    settings = settings_or_exit()
    engine = migration_engine(settings.database_url("tenant"))
    try:
        upgrade_platform(engine, "tenant")
    finally:
        engine.dispose()
    return create_app(settings)


def _cli_actor():
    from services.tenant.audit import Actor

    return Actor(f"cli:{getpass.getuser()}", ("platform_admin",))


@click.group("tenants")
def tenants() -> None:
    """Brands: onboard from a pack, operators, audit trail, keys."""


@tenants.command()
@click.argument("pack_file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--wait",
    "wait_s",
    default=0.0,
    show_default=True,
    help="Seconds to wait for every service to report the brand ready.",
)
def onboard(pack_file: str, wait_s: float) -> None:
    """Validate a brand pack whole, then create or update the brand and hand off
    each section to its service. Nothing is applied if the pack has a problem."""
    console = Console(stderr=True)
    started = time.perf_counter()
    try:
        pack = load_pack(pack_file)
    except PackRefused as refused:
        console.print(f"[red]{pack_file}: refused, {len(refused.problems)} problem(s)")
        for problem in refused.problems:
            click.echo(f"  {problem}")
        sys.exit(1)

    from services.tenant.onboarding import onboard_pack, wait_until_active

    app = _app()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"{pack.slug}: validated", total=None)

        def on_step(step: str, detail: str) -> None:
            progress.console.print(f"  [green]✓[/] {step:<18} {detail}")
            progress.update(task, description=f"{pack.slug}: {step}")

        report = onboard_pack(app, pack_file, _cli_actor(), on_step, pack=pack)
        status = report.status
        if wait_s > 0:
            progress.update(task, description=f"{pack.slug}: waiting for services")
            state = wait_until_active(app, report.tenant_id, wait_s)
            status = state.status
            if state.missing:
                progress.console.print(f"  missing: {', '.join(state.missing)}")
        progress.update(task, description=f"{pack.slug}: {status}")

    verb = "created" if report.created else "updated"
    click.echo(
        f"{report.slug}: {verb}, status {status}, {time.perf_counter() - started:.2f}s"
    )


@tenants.command("create-operator")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def create_operator(email: str, password_stdin: bool) -> None:
    """Create a platform operator (role platform_admin)."""
    from services.tenant.identity import create_operator as create
    from services.tenant.wiring import wiring
    from shared.http.problems import Problem

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app()
    with app.app_context():
        try:
            operator = create(wiring(app), email, password)
        except Problem as problem:
            click.echo(f"refused: {problem.detail}", err=True)
            for error in problem.errors or []:
                click.echo(f"  {error['field']}: {error['message']}", err=True)
            sys.exit(1)
    click.echo(f"operator {operator.email} created ({operator.id})")


@tenants.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit 1 naming every changed or deleted entry."""
    from services.tenant.audit import verify_chain
    from services.tenant.wiring import wiring

    app = _app()
    with app.app_context():
        report = verify_chain(wiring(app).db.session)
    if report.intact:
        click.echo(
            f"audit chain intact: {report.checked} entries, "
            f"head {report.head_seq} {report.head_hash[:16]}"
        )
        return
    click.echo(f"audit chain BROKEN: {len(report.problems)} problem(s)", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@tenants.command("rotate-secrets")
def rotate_secrets() -> None:
    """Re-encrypt every stored secret with the first key of SECRETS_KEYS."""
    from services.tenant.brand_secrets import rotate_secrets as rotate
    from services.tenant.wiring import wiring

    app = _app()
    with app.app_context():
        count = rotate(wiring(app))
    click.echo(f"re-encrypted {count} value(s) with the first key")


@tenants.command("rotate-signing-key")
def rotate_signing_key() -> None:
    """Sign new tokens with a new key; the old one stays in the JWKS a while."""
    from services.tenant.wiring import wiring

    app = _app()
    with app.app_context():
        w = wiring(app)
        key = w.keyring.rotate(w.db.session)
        w.db.session.commit()
    click.echo(f"new signing key {key.kid}")
