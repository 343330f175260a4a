"""The hand-off to the order service, behind one interface.

The checkout builds one hand-off (``checkout.order_payload``): the basket's
own view of bundles, items, the telecom details per line and the totals.
``HttpOrderClient`` turns it into the order service's request
(``services/order/schemas.py: OrderCreateSchema``), here and only here::

    POST /api/order/orders          Host: {slug}.{PLATFORM_DOMAIN}
    Idempotency-Key: basket-checkout-{basket_id}
    {basket_id, channel, currency, customer: {id, name, email, phone},
     delivery_address: {line1, line2, city, postcode, country},
     payment_method: {provider, token},
     lines: [{kind: "mobile", bundle, plan_code, plan_term_months,
              device_product_code, sku, price_option, instalment_amount,
              addons, sim_type, esim_email, number: {type, msisdn, pac_code,
              port_date}, due_today, monthly}],
     totals: {due_today, monthly}}
    -> 201 (or the first answer again) {id, number, reference, status, ...}

The key is derived from the basket id, so a retried checkout (a time-out, a
crash before our commit) creates one order.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pybreaker
import requests
import structlog

log = structlog.get_logger(__name__)


class OrderServiceError(Exception):
    """The order service could not take the order (down, failing, too slow)."""


class OrderRefused(OrderServiceError):
    """The order service (or its contract, checked here) refused the order's
    details; ``errors`` name each field."""

    def __init__(self, message: str, errors: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass(frozen=True)
class OrderReceipt:
    reference: str
    status: str
    order_id: str | None = None


class OrderClient(Protocol):
    def place_order(
        self, order: Mapping[str, Any], idempotency_key: str, host: str
    ) -> OrderReceipt:
        """Create the order once per key; a repeat returns the same receipt."""


def checkout_key(basket_id: str) -> str:
    return f"basket-checkout-{basket_id}"


@dataclass
class HttpOrderClient:
    base_url: str
    timeout_s: float = 5.0
    breaker: pybreaker.CircuitBreaker = field(
        default_factory=lambda: pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
    )
    session: requests.Session = field(default_factory=requests.Session)

    def place_order(
        self, order: Mapping[str, Any], idempotency_key: str, host: str
    ) -> OrderReceipt:
        url = self.base_url.rstrip("/") + "/api/order/orders"
        headers = {"Host": host, "Idempotency-Key": idempotency_key}
        body = order_request(order)

        def send() -> requests.Response:
            response = self.session.post(
                url, json=body, headers=headers, timeout=self.timeout_s
            )
            if response.status_code >= 500:
                raise OrderServiceError(
                    f"order service answered {response.status_code}"
                )
            return response

        try:
            response = self.breaker.call(send)
        except (pybreaker.CircuitBreakerError, requests.RequestException) as exc:
            log.warning("order_service_unreachable", error=type(exc).__name__)
            raise OrderServiceError(type(exc).__name__) from exc
        if response.status_code == 422:
            problem = response.json()
            raise OrderRefused(
                problem.get("detail") or "the order service refused the order",
                [
                    {**error, "field": f"order.{error.get('field', '')}"}
                    for error in problem.get("errors") or ()
                ],
            )
        if response.status_code not in (200, 201):
            raise OrderServiceError(f"order service answered {response.status_code}")
        answer = response.json()
        log.info(
            "order_handed_off",
            order_id=answer.get("id"),
            order_number=answer["reference"],
            basket_id=order.get("basket_id"),
        )
        return OrderReceipt(
            reference=answer["reference"],
            status=answer.get("status", ""),
            order_id=answer.get("id"),
        )


def order_request(handoff: Mapping[str, Any]) -> dict[str, Any]:
    """The order service's request body for a basket's hand-off.

    Amounts are what the customer pays, tax included (the order service
    authorises ``due_today`` and sets up the mandate for ``monthly``); the
    monthly figure is the first month's, as the basket shows it.
    """
    contact = handoff["contact"]
    refused: list[dict[str, str]] = []
    lines = []
    for index, bundle in enumerate(handoff["bundles"]):
        if bundle["kind"] != "mobile":
            refused.append(
                {
                    "field": f"bundles[{index}].kind",
                    "location": "json",
                    "message": f"the order service takes no {bundle['kind']} "
                    "orders yet",
                }
            )
            continue
        lines.append(_mobile_line(bundle))
    if not handoff.get("delivery_address"):
        refused.append(
            {
                "field": "delivery_address",
                "location": "json",
                "message": "every order needs an address",
            }
        )
    if refused:
        raise OrderRefused("the order service cannot take this basket", refused)

    customer = {"email": contact["email"]}
    if handoff.get("customer_id"):
        customer["id"] = handoff["customer_id"]
    if contact.get("name"):
        customer["name"] = contact["name"]
    if contact.get("phone"):
        customer["phone"] = "".join(
            ch for ch in contact["phone"] if ch.isdigit() or ch == "+"
        )
    return {
        "basket_id": handoff["basket_id"],
        "channel": handoff["channel"],
        "currency": handoff["currency"],
        "customer": customer,
        "delivery_address": _address(handoff["delivery_address"]),
        "payment_method": {
            "provider": handoff["payment_provider"],
            "token": handoff["payment_method_token"],
        },
        "lines": lines,
        "totals": {
            "due_today": sum(line["due_today"] for line in lines),
            "monthly": sum(line["monthly"] for line in lines),
        },
    }


def _address(address: Mapping[str, Any]) -> dict[str, Any]:
    wanted = ("line1", "line2", "city", "postcode", "country")
    shown = {k: address[k] for k in wanted if address.get(k)}
    shown.setdefault("country", "GB")
    return shown


def _mobile_line(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """One phone line: plan, SIM, optional device and payment option, add-ons,
    and the number (new or ported) chosen at checkout."""
    items = bundle["items"]
    chosen = bundle.get("line") or {}
    plan = next((i for i in items if i["type"] == "plan"), None)
    device = next((i for i in items if i["type"] == "device"), None)

    line: dict[str, Any] = {
        "kind": "mobile",
        "bundle": " on ".join(
            i["name"] for i in (device, plan) if i is not None and i.get("name")
        )[:80]
        or None,
        "plan_code": plan["code"] if plan else None,
        "plan_term_months": plan.get("term_months") if plan else None,
        "addons": [i["code"] for i in items if i["type"] in ("addon", "accessory")],
        "sim_type": chosen.get("sim_type"),
        "esim_email": chosen.get("esim_email"),
        "number": _number(chosen),
        "due_today": bundle["due_today"]["including_tax"],
        "monthly": bundle["per_month"]["including_tax"],
    }
    if device is not None:
        instalments = device.get("price_type") == "instalment"
        line.update(
            device_product_code=device["code"],
            sku=device["sku"],
            price_option=(
                f"instalment_{device['term_months']}" if instalments else "one_time"
            ),
            instalment_amount=device["unit_price"]["monthly"] if instalments else None,
        )
    return {key: value for key, value in line.items() if value is not None}


def _number(chosen: Mapping[str, Any]) -> dict[str, Any]:
    port = chosen.get("port_in")
    if chosen.get("number") != "port_in" or not port:
        return {"type": "new"}
    return {
        "type": "port_in",
        "msisdn": port["number"],
        "pac_code": port["pac_code"],
        "port_date": port["date"],
    }


class FakeOrderClient:
    """The order service's contract in memory: one order per idempotency key."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self._lock = threading.Lock()

    def place_order(
        self, order: Mapping[str, Any], idempotency_key: str, host: str
    ) -> OrderReceipt:
        with self._lock:
            self.calls += 1
            stored = self.orders.get(idempotency_key)
            if stored is None:
                # A pre-order waits (held) until stock arrives.
                status = "held" if order.get("preorder") else "placed"
                stored = {
                    "reference": "ORD-" + uuid.uuid4().hex[:10].upper(),
                    "status": status,
                    "order": dict(order),
                    "host": host,
                }
                self.orders[idempotency_key] = stored
            return OrderReceipt(stored["reference"], stored["status"])
