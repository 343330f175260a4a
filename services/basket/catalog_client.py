"""Everything the basket asks the catalog, behind one interface.

Two implementations of ``CatalogClient``:

- ``HttpCatalogClient``: the catalog service's HTTP API, with a timeout and a
  circuit breaker (pybreaker). The brand is named by the Host header
  ``{slug}.{PLATFORM_DOMAIN}``. Endpoints (see ``services/catalog/views.py``):

    GET  /api/catalog/products/{code}?channel=C        -> product detail
         (currency, type, attributes, lifecycle, requires, prices [{type,
          amount, currency, term_months}], variants [{sku, attributes,
          preorder, expected_on, in_stock, prices}]); 404 if unknown or not
          sold on C
    POST /api/catalog/compatibility {bundles: [{id, lines: [{code, sku,
         price_type, term_months}]}]}   (each bundle 1..50 lines)
                                        -> {compatible, broken_rules: [{rule,
                                            message, bundle, lines}]}
    GET  /api/catalog/campaigns?channel=C&at=ISO       -> {items: [campaign]}
         (pack-shaped, with ``discount.on`` said explicitly by the catalog)
    GET  /api/catalog/products/{code}/serviceability?postcode=P
                                        -> {available: bool}; 422 when the
                                           product is not sold by postcode

- ``PackCatalogClient``: answers from a brand pack (YAML) with the same rule
  semantics, for tests and for the embedded demo without a catalog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pybreaker
import requests
import structlog
import yaml

log = structlog.get_logger(__name__)

IN_STOCK, OUT_OF_STOCK, PREORDER = "in_stock", "out_of_stock", "preorder"
ACTIVE, RETIRED = "active", "retired"


class CatalogError(Exception):
    """The catalog could not answer."""


class CatalogUnavailable(CatalogError):
    """The catalog timed out, failed, or its circuit is open."""


class UnknownOffer(CatalogError):
    """No product with this code (or no variant with this SKU)."""


@dataclass(frozen=True)
class PriceOption:
    type: str  # one_time | recurring | instalment
    amount: int
    currency: str
    term_months: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "amount": self.amount,
            "currency": self.currency,
            "term_months": self.term_months,
        }


@dataclass(frozen=True)
class Offer:
    """A product (and, for devices and accessories, one variant) as sold now."""

    code: str
    type: str
    name: str
    attributes: Mapping[str, Any]
    lifecycle: str
    prices: tuple[PriceOption, ...]
    sku: str | None = None
    stock_state: str | None = None  # None when the product holds no stock
    preorder: bool = False
    expected_on: str | None = None
    requires: Mapping[str, Any] | None = None
    variants: tuple[str, ...] = ()

    def price(self, price_type: str, term_months: int | None) -> PriceOption | None:
        for option in self.prices:
            if option.type != price_type:
                continue
            if price_type == "one_time" or option.term_months == term_months:
                return option
        return None

    def terms(self, price_type: str) -> list[int]:
        return sorted(
            p.term_months for p in self.prices if p.type == price_type and p.term_months
        )


@dataclass(frozen=True)
class BrokenRule:
    rule_id: str
    message: str
    bundle_id: str


@dataclass(frozen=True)
class Campaign:
    code: str
    name: str
    codes: frozenset[str]
    types: frozenset[str]
    percent: int | None
    amount: int | None
    months: int | None
    on: str
    min_lines: int | None
    channels: frozenset[str]
    valid_from: datetime | None
    valid_to: datetime | None

    def reaches(self, code: str, product_type: str) -> bool:
        return code in self.codes or product_type in self.types


class CatalogClient(Protocol):
    """What the basket needs from the catalog of one brand."""

    def offer(self, code: str, sku: str | None = None, channel: str = "web") -> Offer:
        """The product (and variant) as sold now; ``UnknownOffer`` if none."""

    def check_compatibility(
        self, bundles: Sequence[Mapping[str, Any]]
    ) -> list[BrokenRule]:
        """Every rule the bundles break; each bundle is {id, lines: [{code,
        sku, price_type, term_months}]}."""

    def campaigns(self, channel: str, at: datetime) -> list[Campaign]:
        """Campaigns running on ``channel`` at ``at``."""

    def serviceable(self, code: str, postcode: str) -> bool:
        """Whether a broadband product can be sold at ``postcode``."""


def campaign_from(raw: Mapping[str, Any]) -> Campaign:
    """A campaign from the pack's (or the catalog's) shape.

    A discount says what it reaches with ``on``; without it, one with
    ``months`` or a percentage is monthly (recurring), a bare amount is once,
    off the price due today.
    """
    discount = raw.get("discount") or {}
    applies = raw.get("applies_to") or {}
    valid = raw.get("valid") or {}
    on = discount.get("on")
    if on is None:
        on = (
            "recurring"
            if ("months" in discount or "percent" in discount)
            else ("one_time")
        )
    return Campaign(
        code=raw["code"],
        name=raw.get("name", raw["code"]),
        codes=frozenset(applies.get("codes") or ()),
        types=frozenset(applies.get("types") or ()),
        percent=discount.get("percent"),
        amount=discount.get("amount"),
        months=discount.get("months"),
        on=on,
        min_lines=(raw.get("condition") or {}).get("min_lines"),
        channels=frozenset(raw.get("channels") or ()),
        valid_from=_when(valid.get("from")),
        valid_to=_when(valid.get("to")),
    )


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _prices(raw: Sequence[Mapping[str, Any]], currency: str) -> tuple[PriceOption, ...]:
    return tuple(
        PriceOption(
            type=p["type"],
            amount=int(p["amount"]),
            currency=p.get("currency") or currency,
            term_months=p.get("term_months") if p["type"] != "one_time" else None,
        )
        for p in raw
    )


class PackCatalogClient:
    """The catalog of one brand, answered from its brand pack."""

    def __init__(self, pack: Mapping[str, Any]) -> None:
        self.pack = pack
        self.currency = pack["tenant"]["currency"]

    @classmethod
    def from_file(cls, path: str | Path) -> PackCatalogClient:
        with open(path, encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle))

    def _product(self, code: str) -> Mapping[str, Any]:
        for product in self.pack.get("products") or ():
            if product["code"] == code:
                return product
        raise UnknownOffer(f"no product {code}")

    def offer(self, code: str, sku: str | None = None, channel: str = "web") -> Offer:
        product = self._product(code)
        variants = product.get("variants") or []
        attributes = dict(product.get("attributes") or {})
        prices = product.get("prices") or []
        stock_state, preorder, expected_on = None, False, None

        if variants:
            variant = next((v for v in variants if v["sku"] == sku), None)
            if sku is not None and variant is None:
                raise UnknownOffer(f"no variant {sku} of {code}")
            if variant is not None:
                attributes.update(variant.get("attributes") or {})
                prices = variant.get("prices") or []
                preorder = bool(variant.get("preorder"))
                expected_on = variant.get("expected_on")
                stock = int(variant.get("stock") or 0)
                stock_state = (
                    IN_STOCK if stock > 0 else PREORDER if preorder else OUT_OF_STOCK
                )

        return Offer(
            code=code,
            type=product["type"],
            name=product.get("name", code),
            attributes=attributes,
            lifecycle=product.get("lifecycle", ACTIVE),
            prices=_prices(prices, self.currency),
            sku=sku,
            stock_state=stock_state,
            preorder=preorder,
            expected_on=str(expected_on) if expected_on else None,
            requires=product.get("requires"),
            variants=tuple(v["sku"] for v in variants),
        )

    def check_compatibility(
        self, bundles: Sequence[Mapping[str, Any]]
    ) -> list[BrokenRule]:
        broken: list[BrokenRule] = []
        for bundle in bundles:
            lines = [self._resolved(line) for line in bundle.get("lines") or ()]
            for rule in self.pack.get("rules") or ():
                if _breaks(rule, lines):
                    broken.append(BrokenRule(rule["id"], rule["message"], bundle["id"]))
            broken.extend(_unmet_requirements(lines, bundle["id"]))
        return broken

    def _resolved(self, line: Mapping[str, Any]) -> dict[str, Any]:
        try:
            offer = self.offer(line["code"], line.get("sku"))
        except UnknownOffer:
            return {**line, "type": None, "attributes": {}, "name": line["code"]}
        return {
            **line,
            "type": offer.type,
            "attributes": offer.attributes,
            "name": offer.name,
            "requires": offer.requires,
        }

    def campaigns(self, channel: str, at: datetime) -> list[Campaign]:
        running = []
        for raw in self.pack.get("campaigns") or ():
            campaign = campaign_from(raw)
            if campaign.channels and channel not in campaign.channels:
                continue
            if campaign.valid_from and at < campaign.valid_from:
                continue
            if campaign.valid_to and at > campaign.valid_to:
                continue
            running.append(campaign)
        return running

    def serviceable(self, code: str, postcode: str) -> bool:
        product = self._product(code)
        prefixes = (product.get("serviceability") or {}).get("postcode_prefixes")
        if product["type"] != "broadband" or not prefixes:
            return False
        return postcode_area(postcode) in {p.upper() for p in prefixes}


def postcode_area(postcode: str) -> str:
    """The leading letters of a UK postcode: "LS1 4AP" -> "LS", "M1 1AE" -> "M"."""
    letters = []
    for ch in postcode.strip().upper():
        if not ch.isalpha():
            break
        letters.append(ch)
    return "".join(letters)


def _breaks(rule: Mapping[str, Any], lines: list[dict[str, Any]]) -> bool:
    """Whether one bundle breaks one pack rule (``when`` / ``require`` /
    ``forbid_with``)."""
    when = rule.get("when") or {}
    triggered = [
        line
        for line in lines
        if (not when.get("price_type") or line.get("price_type") == when["price_type"])
        and (not when.get("codes") or line["code"] in when["codes"])
        and (not when.get("types") or line.get("type") in when["types"])
    ]
    if not triggered:
        return False

    require = rule.get("require") or {}
    if require and not _holds_any(require, lines):
        return True

    forbidden = (rule.get("forbid_with") or {}).get("device_attribute") or {}
    for line in lines:
        if line.get("type") != "device":
            continue
        attributes = line.get("attributes") or {}
        if any(attributes.get(k) == v for k, v in forbidden.items()):
            return True
    return False


def _holds_any(require: Mapping[str, Any], lines: list[dict[str, Any]]) -> bool:
    types = set(require.get("any_of_types") or ())
    codes = set(require.get("any_of_codes") or ())
    return any(line.get("type") in types or line["code"] in codes for line in lines)


def _unmet_requirements(
    lines: list[dict[str, Any]], bundle_id: str
) -> list[BrokenRule]:
    """An add-on's own ``requires`` (what its bundle must also hold)."""
    broken = []
    for line in lines:
        requires = line.get("requires")
        if not requires or _holds_any(requires, lines):
            continue
        wanted = [f"a {t}" for t in requires.get("any_of_types") or ()]
        wanted += list(requires.get("any_of_codes") or ())
        broken.append(
            BrokenRule(
                rule_id=f"requires:{line['code']}",
                message=f"{line['name']} needs {' or '.join(wanted)} in the same line.",
                bundle_id=bundle_id,
            )
        )
    return broken


@dataclass
class HttpCatalogClient:
    """The catalog service over HTTP, for one brand (named by ``host``)."""

    base_url: str
    host: str
    timeout_s: float = 2.0
    breaker: pybreaker.CircuitBreaker = field(
        default_factory=lambda: pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
    )
    session: requests.Session = field(default_factory=requests.Session)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call through the breaker; 404 -> ``UnknownOffer``, other 4xx ->
        ``CatalogError`` (the catalog's problem detail in the message)."""
        url = self.base_url.rstrip("/") + "/api/catalog" + path
        headers = {"Host": self.host, "Accept": "application/json"}

        def send() -> requests.Response:
            response = self.session.request(
                method, url, headers=headers, timeout=self.timeout_s, **kwargs
            )
            if response.status_code >= 500:
                raise CatalogUnavailable(f"catalog answered {response.status_code}")
            return response

        try:
            response = self.breaker.call(send)
        except pybreaker.CircuitBreakerError as exc:
            raise CatalogUnavailable("catalog circuit is open") from exc
        except requests.RequestException as exc:
            log.warning("catalog_unreachable", path=path, error=type(exc).__name__)
            raise CatalogUnavailable(type(exc).__name__) from exc

        if response.status_code == 404:
            raise UnknownOffer(path)
        if response.status_code >= 400:
            raise CatalogError(
                f"catalog answered {response.status_code} for {path}: "
                f"{_detail_of(response)}"
            )
        return response.json()

    def offer(self, code: str, sku: str | None = None, channel: str = "web") -> Offer:
        detail = self._call("GET", f"/products/{code}", params={"channel": channel})
        currency = detail.get("currency", "")
        variants = detail.get("variants") or []
        attributes = dict(detail.get("attributes") or {})
        prices = detail.get("prices") or []
        stock_state, preorder, expected_on = None, False, None
        if variants and sku is not None:
            variant = next((v for v in variants if v["sku"] == sku), None)
            if variant is None:
                raise UnknownOffer(f"no variant {sku} of {code}")
            attributes.update(variant.get("attributes") or {})
            prices = variant.get("prices") or []
            preorder = bool(variant.get("preorder"))
            expected_on = variant.get("expected_on")
            stock_state = (
                IN_STOCK
                if variant.get("in_stock")
                else PREORDER
                if preorder
                else OUT_OF_STOCK
            )
        return Offer(
            code=code,
            type=detail["type"],
            name=detail.get("name", code),
            attributes=attributes,
            lifecycle=detail.get("lifecycle", ACTIVE),
            prices=_prices(prices, currency),
            sku=sku,
            stock_state=stock_state,
            preorder=preorder,
            expected_on=expected_on,
            requires=detail.get("requires"),
            variants=tuple(v["sku"] for v in variants),
        )

    def check_compatibility(
        self, bundles: Sequence[Mapping[str, Any]]
    ) -> list[BrokenRule]:
        asked = [
            {
                "id": b["id"],
                "lines": [
                    {k: line[k] for k in _CHECKED_FIELDS if line.get(k) is not None}
                    for line in b["lines"]
                ],
            }
            for b in bundles
            if b.get("lines")  # the catalog wants 1..50 lines per bundle
        ]
        if not asked:
            return []

        verdict = self._call("POST", "/compatibility", json={"bundles": asked})
        return [
            BrokenRule(r["rule"], r["message"], r["bundle"])
            for r in verdict.get("broken_rules") or ()
        ]

    def campaigns(self, channel: str, at: datetime) -> list[Campaign]:
        answer = self._call(
            "GET", "/campaigns", params={"channel": channel, "at": at.isoformat()}
        )
        return [campaign_from(raw) for raw in answer.get("items") or ()]

    def serviceable(self, code: str, postcode: str) -> bool:
        """A product not sold by postcode, or a postcode the catalog cannot
        read, is not serviceable (as with the pack); an unknown code raises."""
        try:
            answer = self._call(
                "GET",
                f"/products/{code}/serviceability",
                params={"postcode": postcode},
            )
        except (UnknownOffer, CatalogUnavailable):
            raise
        except CatalogError as exc:
            log.info("catalog_not_serviceable", code=code, reason=str(exc))
            return False
        return bool(answer.get("available"))


_CHECKED_FIELDS = ("code", "sku", "price_type", "term_months")


def _detail_of(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail") or response.reason)
    except ValueError:
        return response.reason or ""
