"""``telecart demo journey``: a scripted shopper against a running platform.

Browse and search the catalog, sign up, build a basket (a device, a plan and
the SIM the plan needs), apply a promotion code, check out with the payment sandbox's
``tok_approve`` token and follow the order to ``completed``. Each step prints
its result; the journey ends with the order number and the totals due today
and per month. Any failing step stops it with exit status 1.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import requests
import yaml

DEMO_PACKS = Path(__file__).resolve().parent / "tenant" / "demo_packs"
FINAL_ORDER_STATES = ("completed", "failed", "cancelled", "rejected")


class StepFailed(Exception):
    """A step of the journey did not get the answer a shopper expects."""


@dataclass
class Shopper:
    """One shopper's session on one brand's host, and what it has learned."""

    base_url: str
    brand: str
    timeout_s: float = 10.0
    http: requests.Session = field(default_factory=requests.Session)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        """``<brand>.<platform domain>``, the port kept (the ingress routes on it)."""
        parts = urlsplit(self.base_url)
        port = f":{parts.port}" if parts.port else ""
        return f"{self.brand}.{parts.hostname}{port}"

    def call(self, method: str, path: str, expect: int = 200, **kwargs) -> Any:
        headers = {"Host": self.host, **kwargs.pop("headers", {})}
        if self.facts.get("basket_token"):
            headers.setdefault("X-Basket-Token", self.facts["basket_token"])
        response = self.http.request(
            method,
            self.base_url.rstrip("/") + path,
            headers=headers,
            timeout=self.timeout_s,
            **kwargs,
        )
        if response.status_code != expect:
            raise StepFailed(
                f"{method} {path} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
        return response.json() if response.content else None


def money(value: dict[str, Any] | None, currency: str) -> str:
    amount = (value or {}).get("amount", 0)
    return f"{amount / 100:.2f} {currency}"


# -- the steps ---------------------------------------------------------------


def browse(s: Shopper) -> str:
    page = s.call("GET", "/api/catalog/products", params={"page_size": 50})
    items = page["items"]
    s.facts["devices"] = [p["code"] for p in items if p["type"] == "device"]
    s.facts["plans"] = [p["code"] for p in items if p["type"] == "plan"]
    s.facts["sims"] = [p["code"] for p in items if p["type"] == "sim"]
    s.facts["names"] = {p["code"]: p["name"] for p in items}
    if not s.facts["plans"] or not s.facts["sims"]:
        raise StepFailed(f"{len(items)} products, but no plan and SIM to buy")
    return f"{page['total']} products, {len(s.facts['devices'])} devices"


def search(s: Shopper) -> str:
    """Search a word of the first device's name (a plan's, for SIM-only brands)."""
    wanted = (s.facts["devices"] or s.facts["plans"])[0]
    words = [w for w in s.facts["names"][wanted].split() if len(w) > 2]
    word = (words or [wanted])[-1 if not s.facts["devices"] else 0].lower()
    page = s.call("GET", "/api/catalog/products", params={"q": word})
    codes = [p["code"] for p in page["items"]]
    if wanted not in codes:
        raise StepFailed(f"searching {word!r} did not find {wanted}")
    return f"{word!r}: {len(codes)} hit(s)"


def choose_offers(s: Shopper) -> str:
    """The first device with a variant in stock (none for a SIM-only brand), the
    first plan sold monthly, and the SIM the plan needs."""
    device = variant = plan = None
    for code in s.facts["devices"]:
        device = s.call("GET", f"/api/catalog/products/{code}")
        variant = next((v for v in device["variants"] if v["in_stock"]), None)
        if variant is not None:
            break
    for code in s.facts["plans"]:
        plan = s.call("GET", f"/api/catalog/products/{code}")
        recurring = [p for p in plan["prices"] if p["type"] == "recurring"]
        if recurring:
            break
    if (s.facts["devices"] and variant is None) or not recurring:
        raise StepFailed("no device in stock, or no plan with a monthly price")

    term = recurring[-1]["term_months"]
    s.facts["currency"] = plan["currency"]
    s.facts["lines"] = [
        {"code": plan["code"], "price_type": "recurring", "term_months": term},
        {"code": _sim(s.facts["sims"]), "price_type": "one_time"},
    ]
    chosen = f"{plan['name']} ({term} months)"
    if variant is None:
        return f"SIM only: {chosen}"
    device_line = {"code": device["code"], "sku": variant["sku"]}
    s.facts["lines"].insert(0, {**device_line, "price_type": "one_time"})
    return f"{device['name']} ({variant['sku']}) + {chosen}"


def _sim(codes: list[str]) -> str:
    """The eSIM when the brand sells one: nothing to post, a code to e-mail."""
    return next((code for code in codes if "esim" in code), codes[0])


def sign_up(s: Shopper) -> str:
    email = f"shopper-{uuid.uuid4().hex[:8]}@example.com"
    password = "journey-" + uuid.uuid4().hex
    s.call(
        "POST",
        "/api/tenant/accounts",
        expect=201,
        json={"email": email, "password": password, "name": "Demo Shopper"},
    )
    token = s.call(
        "POST",
        "/api/tenant/oauth/token",
        data={
            "grant_type": "password",
            "username": email,
            "password": password,
            "client_id": f"{s.brand}-web",
        },
    )
    s.facts["email"], s.facts["access_token"] = email, token["access_token"]
    return f"signed in as {email}"


def build_basket(s: Shopper) -> str:
    bearer = {"Authorization": f"Bearer {s.facts['access_token']}"}
    contact = {"email": s.facts["email"], "name": "Demo Shopper"}
    opened = {"contact": contact, "channel": s.facts["channel"]}
    try:
        basket = s.call(
            "POST",
            "/api/basket/baskets",
            201,
            json=opened,
            headers=bearer,
        )
        who = "signed-in"
    except StepFailed as exc:
        if " 401" not in str(exc):
            raise
        basket = s.call("POST", "/api/basket/baskets", 201, json=opened)
        who = "guest (the basket does not take sign-ins)"
        s.facts["basket_token"] = basket.get("token")
    s.facts["basket_id"], s.facts["bearer"] = basket["id"], who == "signed-in"

    headers = bearer if s.facts["bearer"] else {}
    basket = s.call(
        "POST",
        f"/api/basket/baskets/{basket['id']}/bundles",
        201,
        json={"kind": "mobile", "lines": s.facts["lines"]},
        headers=headers,
    )
    lines = sum(len(b["lines"]) for b in basket["bundles"])
    if lines != len(s.facts["lines"]):
        raise StepFailed(f"the basket has {lines} line(s), not {len(s.facts['lines'])}")
    s.facts["basket"] = basket
    return f"{who} basket {basket['id']}: {lines} lines, {_totals(s, basket)}"


def apply_code(s: Shopper) -> str:
    code = s.facts["code"]
    if code is None:
        return "none: the brand's pack has no promotion code"
    headers = _bearer(s)
    basket = s.call(
        "POST",
        f"/api/basket/baskets/{s.facts['basket_id']}/promotion-codes",
        json={"code": code},
        headers=headers,
    )
    s.facts["basket"] = basket
    return f"{code} applied: {_totals(s, basket)}"


def check_out(s: Shopper) -> str:
    email = s.facts["email"]
    receipt = s.call(
        "POST",
        f"/api/basket/baskets/{s.facts['basket_id']}/checkout",
        json={
            "contact": {"email": email, "name": "Demo Shopper"},
            "delivery_address": {
                "line1": "1 Demo Street",
                "city": "London",
                "postcode": "SW1A 1AA",
            },
            "lines": [
                {"bundle_id": bundle["id"], "number": "new", "esim_email": email}
                for bundle in s.facts["basket"]["bundles"]
            ],
            "payment_provider": "sandbox",
            "payment_method_token": "tok_approve",
        },
        headers=_bearer(s),
    )
    s.facts["order_reference"] = receipt["order_reference"]
    return f"order {receipt['order_reference']} placed ({receipt.get('order_status')})"


def follow_order(s: Shopper) -> str:
    """Poll the customer's orders until this one reaches a final state."""
    reference, seen = s.facts["order_reference"], []
    deadline = time.monotonic() + s.facts.get("follow_s", 60.0)
    bearer = {"Authorization": f"Bearer {s.facts['access_token']}"}
    while True:
        orders = s.call("GET", "/api/order/orders", headers=bearer)
        order = next((o for o in orders if _number(o) == reference), None)
        status = order["status"] if order else "not visible yet"
        if not seen or seen[-1] != status:
            seen.append(status)
            click.echo(f"    order {reference}: {status}")
        if status in FINAL_ORDER_STATES or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if seen[-1] != "completed":
        raise StepFailed(f"order {reference} went {' -> '.join(seen)}")
    return " -> ".join(seen)


def _number(order: dict[str, Any]) -> str | None:
    return order.get("reference") or order.get("number")


def _bearer(s: Shopper) -> dict[str, str]:
    if s.facts.get("bearer"):
        return {"Authorization": f"Bearer {s.facts['access_token']}"}
    return {}


def _totals(s: Shopper, basket: dict[str, Any]) -> str:
    currency = basket.get("currency") or s.facts.get("currency", "")
    totals = basket["totals"]
    return (
        f"due today {money(totals['due_today'], currency)}, "
        f"per month {money(totals['per_month'], currency)}"
    )


def demo_pack(brand: str) -> dict[str, Any]:
    path = DEMO_PACKS / f"{brand}.yaml"
    if not path.exists():
        raise click.UsageError(f"no demo pack for {brand}")
    return yaml.safe_load(path.read_text())


def demo_channel(pack: dict[str, Any]) -> str:
    """The brand's first self-service channel (``web`` for most, a B2B portal)."""
    channels = [c for c in pack.get("channels") or [] if not c.get("assisted")]
    return channels[0]["code"] if channels else "web"


def demo_code(pack: dict[str, Any]) -> str | None:
    """A promotion code of the shipped demo pack one bundle qualifies for."""
    for promo in pack.get("promotion_codes") or []:
        if (promo.get("condition") or {}).get("min_lines", 1) <= 1:
            return promo["code"]
    return None


JOURNEY: tuple[tuple[str, Callable[[Shopper], str]], ...] = (
    ("browse the catalog", browse),
    ("search", search),
    ("choose a device and a plan", choose_offers),
    ("sign up and sign in", sign_up),
    ("build a basket: device, plan and SIM", build_basket),
    ("apply a promotion code", apply_code),
    ("check out, pay with tok_approve", check_out),
    ("follow the order", follow_order),
)


def run_journey(shopper: Shopper) -> bool:
    for number, (name, step) in enumerate(JOURNEY, start=1):
        click.echo(f"[{number}/{len(JOURNEY)}] {name} ...")
        try:
            detail = step(shopper)
        except (StepFailed, requests.RequestException, KeyError) as exc:
            click.echo(f"  FAILED: {type(exc).__name__}: {exc}")
            return False
        click.echo(f"  ok: {detail}")

    basket = shopper.facts["basket"]
    click.echo(f"Order number: {shopper.facts['order_reference']} (completed)")
    click.echo(f"Totals: {_totals(shopper, basket)}")
    return True


@click.group("demo")
def demo() -> None:
    """Scripted demos against a running platform."""


@demo.command("journey")
@click.option("--brand", default="northwind", show_default=True)
@click.option("--base-url", default="http://localhost:8000", show_default=True)
@click.option("--code", default=None, help="promotion code (default: the pack's)")
@click.option(
    "--follow-s",
    default=60.0,
    show_default=True,
    help="how long to wait for the order to reach a final state",
)
def journey(brand: str, base_url: str, code: str | None, follow_s: float) -> None:
    """Browse, search, basket, code, checkout, pay, follow to completed."""
    shopper = Shopper(base_url=base_url, brand=brand)
    shopper.facts["follow_s"] = follow_s
    pack = demo_pack(brand)
    shopper.facts["code"] = code or demo_code(pack)
    shopper.facts["channel"] = demo_channel(pack)
    click.echo(f"Shopping at {brand} through {base_url} (Host: {shopper.host})")
    if not run_journey(shopper):
        sys.exit(1)
