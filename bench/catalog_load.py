"""Load benchmark of the catalog's storefront reads (a script, not a test).

Builds a fresh PostgreSQL database with Northwind's catalog, serves the
catalog service with gunicorn (gthread) and a bare Flask endpoint with the
same gunicorn settings, then drives each with concurrent keep-alive clients
and prints requests per second and p50/p95/p99 latency, and the ratio of
each catalog read to the bare endpoint.

    .venv/bin/python bench/catalog_load.py --seconds 10 --concurrency 16

Reads are cached per tenant in process (no REDIS_URL) unless REDIS_URL is
set in the environment.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from flask import Flask, jsonify

ROOT = Path(__file__).resolve().parent.parent
BRANDS = Path(
    os.environ.get(
        "BRANDS_DIR", Path(__file__).resolve().parents[2] / "shared" / "data" / "brands"
    )
)

bare_app = Flask("bare")


@bare_app.get("/ping")
def ping():
    return jsonify(ok=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(admin_url: str) -> tuple[str, callable]:
    """A new database with Northwind registered, migrated and imported."""
    import yaml
    from sqlalchemy import create_engine, text

    sys.path.insert(0, str(ROOT))
    from services.catalog import service
    from services.catalog.app import create_app
    from services.catalog.models import db
    from shared.config import load_settings
    from shared.db.migrate import migration_engine, upgrade_platform, upgrade_tenant
    from shared.http.app import runtime
    from shared.tenancy import Tenant, tenant_scope

    name = f"telecart_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name

    os.environ["CATALOG_DATABASE_URL"] = url
    app = create_app(load_settings())
    tenant = Tenant(id=str(uuid.uuid4()), slug="northwind")
    engine = migration_engine(url)
    upgrade_platform(engine, "catalog")
    with engine.begin() as connection:
        runtime(app).registry.upsert(
            connection, tenant_id=tenant.id, slug=tenant.slug, status="active"
        )
    upgrade_tenant(engine, "catalog", tenant.slug)
    engine.dispose()

    pack = yaml.safe_load((BRANDS / "northwind.yaml").read_text())
    with app.app_context(), tenant_scope(tenant):
        service.import_catalog(
            None,
            settings={
                "currency": pack["tenant"]["currency"],
                "tax": pack["tenant"]["tax"],
                "channels": pack["channels"],
            },
            products=pack["products"],
            rules=pack["rules"],
            cross_sell=pack["cross_sell"],
            campaigns=pack["campaigns"],
        )
        db.session.remove()
        db.engine.dispose()

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def start(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"server on port {port} did not start: {command}")


def drive(port: int, path: str, seconds: float, concurrency: int) -> dict:
    """Concurrent keep-alive clients for ``seconds``; latencies of 200 answers."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Host": "northwind.localhost"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0]
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed,
        "p50": quantiles[49] * 1000 if len(quantiles) > 49 else 0,
        "p95": quantiles[94] * 1000 if len(quantiles) > 94 else 0,
        "p99": quantiles[98] * 1000 if len(quantiles) > 98 else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TEST_POSTGRES_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        ),
    )
    args = parser.parse_args()

    url, drop = prepare_database(args.postgres)
    env = {
        **os.environ,
        "CATALOG_DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    gunicorn = [
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
    ]
    catalog_port, bare_port = free_port(), free_port()
    servers = []
    try:
        servers.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "services.cli",
                    "serve",
                    "catalog",
                    "--bind",
                    f"127.0.0.1:{catalog_port}",
                    *gunicorn,
                ],
                catalog_port,
                env,
            )
        )
        servers.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--chdir",
                    str(ROOT / "bench"),
                    "-k",
                    "gthread",
                    *gunicorn,
                    "--bind",
                    f"127.0.0.1:{bare_port}",
                    "catalog_load:bare_app",
                ],
                bare_port,
                env,
            )
        )
        runs = {
            "bare flask /ping": (bare_port, "/ping"),
            "product list": (catalog_port, "/api/catalog/products?type=device"),
            "search 'iphone'": (catalog_port, "/api/catalog/products?q=iphone"),
            "product detail": (catalog_port, "/api/catalog/products/device-iphone-16"),
        }
        for port, path in runs.values():
            drive(port, path, 1.0, 2)  # warm up: connections, caches

        results = {
            name: drive(port, path, args.seconds, args.concurrency)
            for name, (port, path) in runs.items()
        }
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        drop()

    bare = results["bare flask /ping"]["rps"] or 1
    print(
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads, "
        f"{args.concurrency} clients, {args.seconds:.0f}s each, PostgreSQL"
    )
    print(
        f"{'endpoint':<20}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'vs bare':>9}"
    )
    for name, r in results.items():
        print(
            f"{name:<20}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
            f"{r['p99']:>9.1f}{r['errors']:>8}{r['rps'] / bare:>9.2f}"
        )


if __name__ == "__main__":
    main()
