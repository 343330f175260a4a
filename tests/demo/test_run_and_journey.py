"""``telecart run`` as a real process, and ``telecart demo journey`` against it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

DEMO_PACKS = Path(__file__).resolve().parents[2] / "services" / "tenant" / "demo_packs"
START_WITHIN_S = 60.0


def telecart_command() -> list[str]:
    script = Path(sys.executable).parent / "telecart"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "services.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("_DATABASE_URL", "_URL")) or key == "TEST_POSTGRES_URL"
    }
    env.update(TELECART_DATA_DIR=str(data_dir), LOG_LEVEL="WARNING")
    return env


class Platform:
    """One ``telecart run`` process on a free port, its output in a file."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.output = data_dir / f"run-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.seconds = 0.0

    def start(self) -> Platform:
        started = time.monotonic()
        with self.output.open("w") as out:
            self.process = subprocess.Popen(
                [*telecart_command(), "run", "--port", str(self.port)],
                env=embedded_env(self.data_dir),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        while time.monotonic() - started < START_WITHIN_S:
            if self.process.poll() is not None:
                pytest.fail(f"telecart run exited:\n{self.printed()[-3000:]}")
            if self.answers():
                self.seconds = time.monotonic() - started
                return self
            time.sleep(0.3)
        self.stop()
        pytest.fail(f"telecart run did not answer:\n{self.printed()[-3000:]}")

    def answers(self) -> bool:
        try:
            return self.products("northwind").status_code == 200
        except requests.RequestException:
            return False

    def products(self, brand: str) -> requests.Response:
        return requests.get(
            f"{self.base_url}/api/catalog/products",
            params={"page_size": 100},
            headers={"Host": f"{brand}.localhost:{self.port}"},
            timeout=10,
        )

    def printed(self) -> str:
        return self.output.read_text()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("telecart-data")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def platform(data_dir):
    running = Platform(data_dir).start()
    print(f"\ntelecart run: first start answered in {running.seconds:.1f}s")
    yield running
    running.stop()


def pack_codes(brand: str) -> set[str]:
    pack = yaml.safe_load((DEMO_PACKS / f"{brand}.yaml").read_text())
    return {product["code"] for product in pack["products"]}


def journey(
    platform: Platform, brand: str, follow_s: float = 30
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*telecart_command(), "demo", "journey", "--brand", brand]
        + ["--base-url", f"http://localhost:{platform.port}"]
        + ["--follow-s", str(follow_s)],
        capture_output=True,
        text=True,
        timeout=120,
        env=embedded_env(platform.data_dir),
    )


def test_each_demo_brand_answers_with_its_own_catalog_on_its_own_host(platform):
    answered = {}
    for brand in ("northwind", "volt", "harbor"):
        response = platform.products(brand)
        assert response.status_code == 200, response.text
        answered[brand] = {item["code"] for item in response.json()["items"]}
        print(f"{brand}: {len(answered[brand])} products on {brand}.localhost")

    for brand, codes in answered.items():
        assert codes == pack_codes(brand)
    assert answered["northwind"] != answered["volt"]
    assert answered["northwind"] - answered["volt"]  # Volt's host hides these


def test_the_channel_shows_each_brands_own_pack_placements(platform):
    """The channel's hand-off landed: Northwind's home hero, from its pack."""
    shown = {}
    for brand in ("northwind", "volt"):
        response = requests.get(
            f"{platform.base_url}/api/channel/placements",
            params={"channel": "web", "slot": "home-hero", "locale": "en-GB"}
            | {"visitor": "demo-visitor"},
            headers={"Host": f"{brand}.localhost:{platform.port}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        shown[brand] = [item["placement"] for item in response.json()["items"]]
        print(f"{brand} web home-hero: {shown[brand]}")

    assert shown["northwind"] == ["web.home-hero"]
    assert "web.home-hero" not in shown["volt"]


def test_start_up_prints_each_brands_api_and_each_services_openapi_page(platform):
    printed = platform.printed()

    for brand in ("northwind", "volt", "harbor"):
        assert f"http://{brand}.localhost:{platform.port}/api/" in printed
        assert f"brand {brand}" in printed and "onboarded, active" in printed
    for service in ("tenant", "catalog", "channel", "basket", "order", "payment"):
        assert f"http://localhost:{platform.port}/api/{service}/docs" in printed
        docs = requests.get(f"{platform.base_url}/api/{service}/docs", timeout=10)
        assert docs.status_code == 200, service


def test_the_shopper_browses_searches_and_signs_up_before_the_basket(platform):
    """The steps that work today, whatever happens to the basket afterwards."""
    done = journey(platform, "northwind")
    print(done.stdout)

    for step in ("browse the catalog", "search", "choose a device and a plan"):
        assert step in done.stdout
    assert done.stdout.count("  ok: ") >= 4, done.stdout + done.stderr
    assert "signed in as shopper-" in done.stdout


@pytest.mark.parametrize(
    "brand",
    [
        "northwind",
        "harbor",
        "volt",
    ],
)
def test_the_shopper_journey_ends_with_a_completed_order_and_its_totals(
    platform, brand
):
    done = journey(platform, brand, follow_s=30)
    print(done.stdout)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Order number: " in done.stdout
    assert "completed" in done.stdout
    assert "due today" in done.stdout and "per month" in done.stdout


def test_a_second_start_keeps_the_brands_without_onboarding_them_again(
    platform, data_dir
):
    before = {b: platform.products(b).json()["total"] for b in ("northwind", "volt")}
    platform.stop()

    again = Platform(data_dir).start()
    try:
        printed = again.printed()
        after = {b: again.products(b).json()["total"] for b in ("northwind", "volt")}
    finally:
        again.stop()

    print(f"second start answered in {again.seconds:.1f}s; products {after}")
    assert printed.count("already onboarded, active") == 3
    assert after == before
