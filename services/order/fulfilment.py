"""The adapter to a brand's fulfilment system, over HTTP.

One request per order line (``POST {base}/fulfilment-requests``), keyed by
the line id in ``Idempotency-Key``, so a retry after a time-out never ships
twice. Connection errors, time-outs and 5xx answers are retried a few times
with backoff (tenacity); a 4xx is a refusal and is not retried. Progress
comes back later as signed status callbacks (see ``saga_fulfilment``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import requests
import structlog
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from services.order.models import Order, OrderLine, OrderSettings

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Fulfilment-Signature"


class FulfilmentError(Exception):
    """Base of what the fulfilment system can answer badly."""


class FulfilmentUnavailable(FulfilmentError):
    """Down, slow past the time-out, or failing with 5xx after retries."""


class FulfilmentRefused(FulfilmentError):
    """The fulfilment system said no (4xx): retrying will not help."""


class AlreadyDispatched(FulfilmentError):
    """Too late to cancel: the item left the warehouse."""


class _Transient(Exception):
    pass


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str | None, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(secret, body), header)


def line_items(order: Order, line: OrderLine) -> list[dict[str, Any]]:
    """What the warehouse and the network must do for one line, in order."""
    items: list[dict[str, Any]] = []
    if line.sku:
        items.append({"kind": "device_shipment", "sku": line.sku})
    if line.kind != "mobile":
        return items

    if line.sim_type == "esim":
        items.append({"kind": "esim_activation", "email": line.esim_email})
    else:
        items.append({"kind": "sim_dispatch"})
    if line.number_choice == "port_in":
        items.append(
            {
                "kind": "port_in",
                "msisdn": line.port_msisdn,
                "pac_code": line.pac_code,
                "port_date": line.port_date.isoformat() if line.port_date else None,
            }
        )
    else:
        items.append({"kind": "number_assignment"})
    items.append({"kind": "line_activation", "plan_code": line.product_code})
    return items


@dataclass
class FulfilmentAdapter:
    base_url: str
    callback_url: str | None
    timeout_s: float = 2.0
    attempts: int = 3

    @classmethod
    def for_brand(cls, settings: OrderSettings, timeout_s: float) -> FulfilmentAdapter:
        if not settings.fulfilment_base_url:
            raise FulfilmentUnavailable("no fulfilment base URL set for this brand")
        return cls(
            settings.fulfilment_base_url.rstrip("/"),
            settings.callback_url,
            timeout_s,
        )

    def submit(self, order: Order, line: OrderLine) -> str:
        """Ask for the line to be fulfilled; the fulfilment system's reference."""
        body = {
            "request_id": line.id,
            "order_id": order.id,
            "order_number": order.number,
            "line_id": line.id,
            "callback_url": self.callback_url,
            "delivery_address": order.delivery_address,
            "customer": {"name": order.customer_name, "email": order.customer_email},
            "items": line_items(order, line),
        }
        answer = self._call(
            "POST",
            f"{self.base_url}/fulfilment-requests",
            json=body,
            headers={"Idempotency-Key": line.id},
        )
        log.info("fulfilment_submitted", order_id=order.id, line_id=line.id)
        return str(answer.json().get("fulfilment_id") or line.id)

    def cancel(self, line: OrderLine) -> None:
        """Withdraw a line's request; AlreadyDispatched after the point of no return."""
        try:
            self._call("DELETE", f"{self.base_url}/fulfilment-requests/{line.id}")
        except FulfilmentRefused as exc:
            if "409" in str(exc):
                raise AlreadyDispatched(str(exc)) from None
            if "404" not in str(exc):
                raise

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        @retry(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.05, max=1),
            reraise=True,
        )
        def attempt() -> requests.Response:
            try:
                response = requests.request(
                    method, url, timeout=self.timeout_s, **kwargs
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Transient(type(exc).__name__) from None
            if response.status_code >= 500:
                raise _Transient(f"HTTP {response.status_code}")
            return response

        try:
            response = attempt()
        except _Transient as exc:
            log.warning("fulfilment_unavailable", url=url, error=str(exc))
            raise FulfilmentUnavailable(str(exc)) from None
        if response.status_code >= 400:
            detail = response.text[:200]
            raise FulfilmentRefused(f"HTTP {response.status_code}: {detail}")
        return response
