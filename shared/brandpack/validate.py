"""Checking a whole brand pack and naming every problem by its path.

The checker never stops at the first problem: each section is walked to the
end, then the cross references (rules, cross-sells, campaigns, placements
naming products, channels and content) are checked against what the pack
declares. Paths read like the file: ``products[3].variants[0].sku``.
"""

from __future__ import annotations

import re
from typing import Any

from shared.brandpack.checks import CODE, PRODUCT_TYPES, PackChecks, unknown_type
from shared.brandpack.currencies import ISO_4217
from shared.brandpack.loader import PackProblem

WITH_VARIANTS = ("device", "accessory")
PRICE_TYPES = ("one_time", "recurring", "instalment")
PERIODS = ("month",)
DISCOUNT_TARGETS = ("recurring", "one_time")
SECTIONS = (
    "tenant",
    "channels",
    "products",
    "rules",
    "cross_sell",
    "campaigns",
    "promotion_codes",
    "placements",
    "content",
)

_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_GTIN = re.compile(r"^(\d{8}|\d{12}|\d{13}|\d{14})$")


def validate_pack(data: Any) -> list[PackProblem]:
    """Every problem in the pack, sorted by where it is; empty when it is sound."""
    checker = _PackChecker()
    checker.check(data)
    return checker.problems


class _PackChecker(PackChecks):
    """The sections of a pack, in the order their references need."""

    def check(self, data: Any) -> None:
        if not isinstance(data, dict):
            self.fail("", "a brand pack must be a YAML mapping with a tenant section")
            return

        for key in data:
            if key not in SECTIONS:
                self.fail(str(key), f"unknown section (known: {', '.join(SECTIONS)})")

        # Declarations first, so that references can be checked against them.
        self.check_tenant(data.get("tenant"))
        self.check_channels(data.get("channels"))
        self.collect_content_ids(data.get("content"))
        self.check_products(data.get("products"))
        self.check_rules(data.get("rules"))
        self.check_cross_sell(data.get("cross_sell"))
        self.check_campaigns(data.get("campaigns"))
        self.check_promotion_codes(data.get("promotion_codes"))
        self.check_placements(data.get("placements"))
        self.check_content(data.get("content"))
        self.problems.sort(key=_path_order)

    def check_tenant(self, value: Any) -> None:
        tenant = self.mapping(value, "tenant")
        if tenant is None:
            return

        slug = self.text(tenant, "slug", "tenant")
        if slug is not None and not _SLUG.match(slug):
            self.fail(
                "tenant.slug",
                "must be 3-40 lower-case letters, digits or '-', starting with a "
                "letter",
            )
        self.text(tenant, "name", "tenant")

        for index, domain in enumerate(
            self.listing(tenant.get("custom_domains"), "tenant.custom_domains")
        ):
            if not isinstance(domain, str) or not _DOMAIN.match(domain):
                self.fail(f"tenant.custom_domains[{index}]", "must be a DNS name")

        locale = self.text(tenant, "locale", "tenant")
        if locale is not None and not _LOCALE.match(locale):
            self.fail("tenant.locale", "must be a locale such as en-GB")
        languages = self.listing(
            tenant.get("languages"), "tenant.languages", required=True
        )
        for index, language in enumerate(languages):
            if not isinstance(language, str) or not _LOCALE.match(language):
                self.fail(
                    f"tenant.languages[{index}]", "must be a locale such as cy-GB"
                )
            else:
                self.languages.add(language)
        if locale and languages and locale not in languages:
            self.fail("tenant.languages", f"must include the default locale {locale}")

        currency = tenant.get("currency")
        if currency is None:
            self.fail("tenant.currency", "is required")
        elif currency not in ISO_4217:
            self.fail("tenant.currency", f"unknown ISO 4217 currency {currency!r}")

        self.check_tax(tenant.get("tax"))
        self.check_theme(tenant.get("theme"))

        providers = self.listing(
            tenant.get("payment_providers"), "tenant.payment_providers", required=True
        )
        seen: dict[Any, str] = {}
        for index, provider in enumerate(providers):
            where = f"tenant.payment_providers[{index}]"
            if not isinstance(provider, str) or not CODE.match(provider):
                self.fail(where, "must be a provider name such as stripe")
            self.unique(seen, provider, where, "payment provider")

        features = self.mapping(tenant.get("features"), "tenant.features", False)
        for name, enabled in (features or {}).items():
            if not isinstance(enabled, bool):
                self.fail(f"tenant.features.{name}", "must be true or false")

    def check_tax(self, value: Any) -> None:
        tax = self.mapping(value, "tenant.tax")
        if tax is None:
            return
        rate = tax.get("rate_percent")
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            self.fail("tenant.tax.rate_percent", "must be a number from 0 to 100")
        elif not 0 <= rate <= 100:
            self.fail("tenant.tax.rate_percent", "must be from 0 to 100")
        self.boolean(tax, "prices_include_tax", "tenant.tax", required=True)

    def check_theme(self, value: Any) -> None:
        theme = self.mapping(value, "tenant.theme", required=False)
        if theme is None:
            return
        for key in ("primary", "secondary", "accent", "background", "text"):
            colour = theme.get(key)
            if colour is not None and (
                not isinstance(colour, str) or not _COLOUR.match(colour)
            ):
                self.fail(f"tenant.theme.{key}", "must be a colour such as '#0B5FFF'")
        self.integer(theme, "radius_px", "tenant.theme", 0, 64, required=False)
        for key in ("font_family", "logo_url"):
            self.text(theme, key, "tenant.theme", required=False)
        font = theme.get("font_family")
        if isinstance(font, str) and re.search(r"[;{}<>]", font):
            self.fail("tenant.theme.font_family", "must not contain ; { } < or >")

    def check_channels(self, value: Any) -> None:
        seen: dict[Any, str] = {}
        for index, channel in enumerate(self.listing(value, "channels")):
            path = f"channels[{index}]"
            if self.mapping(channel, path) is None:
                continue
            code = self.code(channel, "code", path)
            self.unique(seen, code, f"{path}.code", "channel code")
            self.text(channel, "name", path)
            self.boolean(channel, "assisted", path)
            if code:
                self.channel_codes.add(code)

    def collect_content_ids(self, value: Any) -> None:
        if isinstance(value, list):
            self.content_ids = {
                item["id"] for item in value if isinstance(item, dict) and "id" in item
            }

    def check_products(self, value: Any) -> None:
        products = self.listing(value, "products")
        codes: dict[Any, str] = {}
        skus: dict[Any, str] = {}

        # Codes first: a product may require one declared after it.
        for product in products:
            if isinstance(product, dict) and isinstance(product.get("code"), str):
                self.product_types.setdefault(product["code"], product.get("type"))

        for index, product in enumerate(products):
            path = f"products[{index}]"
            if self.mapping(product, path) is None:
                continue
            code = self.code(product, "code", path)
            self.unique(codes, code, f"{path}.code", "product code")
            self.text(product, "name", path)
            kind = product.get("type")
            if kind not in PRODUCT_TYPES:
                self.fail(f"{path}.type", unknown_type(kind))
            self.mapping(product.get("attributes"), f"{path}.attributes", False)

            if kind in WITH_VARIANTS:
                self.check_variants(product, path, skus)
            elif kind is not None:
                self.check_prices(product.get("prices"), f"{path}.prices", True)
                if "variants" in product:
                    self.fail(f"{path}.variants", f"a {kind} has no variants")

            self.check_requires(product.get("requires"), f"{path}.requires")
            self.check_serviceability(product, path, kind)
            for tag_index, tag in enumerate(self.listing(product.get("tags"), path)):
                if not isinstance(tag, str):
                    self.fail(f"{path}.tags[{tag_index}]", "must be a string")

    def check_variants(self, product: dict, path: str, skus: dict) -> None:
        variants = self.listing(product.get("variants"), f"{path}.variants", True)
        if "variants" in product and not variants:
            self.fail(f"{path}.variants", "needs at least one variant")
        if "prices" in product:
            self.fail(f"{path}.prices", "prices of a device belong on its variants")

        for index, variant in enumerate(variants):
            where = f"{path}.variants[{index}]"
            if self.mapping(variant, where) is None:
                continue
            sku = self.code(variant, "sku", where)
            self.unique(skus, sku, f"{where}.sku", "SKU")
            gtin = variant.get("gtin")
            if gtin is not None and (
                not isinstance(gtin, str) or not _GTIN.match(gtin)
            ):
                self.fail(f"{where}.gtin", "must be 8, 12, 13 or 14 digits, quoted")
            self.mapping(variant.get("attributes"), f"{where}.attributes", False)
            self.check_prices(variant.get("prices"), f"{where}.prices", True)
            self.integer(variant, "stock", where, minimum=0, required=False)

    def check_prices(self, value: Any, path: str, required: bool) -> None:
        prices = self.listing(value, path, required)
        if required and value is not None and not prices:
            self.fail(path, "needs at least one price")
        seen: dict[Any, str] = {}

        for index, price in enumerate(prices):
            where = f"{path}[{index}]"
            if self.mapping(price, where) is None:
                continue
            kind = price.get("type")
            if kind not in PRICE_TYPES:
                self.fail(
                    f"{where}.type",
                    f"unknown price type {kind!r} (known: {', '.join(PRICE_TYPES)})",
                )
            self.integer(price, "amount", where, minimum=0)
            if kind == "recurring":
                if price.get("period") not in PERIODS:
                    self.fail(f"{where}.period", "must be 'month'")
                self.integer(price, "term_months", where, minimum=1, maximum=60)
            elif kind == "instalment":
                self.integer(price, "term_months", where, minimum=1, maximum=60)
            elif kind == "one_time" and "term_months" in price:
                self.fail(f"{where}.term_months", "a one-time price has no term")
            key = (kind, price.get("period"), price.get("term_months"))
            self.unique(seen, key, where, "price (same type and term)")

    def check_requires(self, value: Any, path: str) -> None:
        requires = self.mapping(value, path, required=False)
        if requires is None:
            return
        self.type_refs(requires.get("any_of_types"), f"{path}.any_of_types")
        self.product_refs(requires.get("any_of_codes"), f"{path}.any_of_codes")

    def check_serviceability(self, product: dict, path: str, kind: Any) -> None:
        value = product.get("serviceability")
        if value is None:
            return
        where = f"{path}.serviceability"
        if kind != "broadband":
            self.fail(where, "only broadband has serviceability")
        area = self.mapping(value, where)
        if area is None:
            return
        prefixes = self.listing(
            area.get("postcode_prefixes"), f"{where}.postcode_prefixes"
        )
        for index, prefix in enumerate(prefixes):
            if not isinstance(prefix, str) or not prefix.isalnum():
                self.fail(
                    f"{where}.postcode_prefixes[{index}]", "must be letters/digits"
                )

    def check_rules(self, value: Any) -> None:
        seen: dict[Any, str] = {}
        for index, rule in enumerate(self.listing(value, "rules")):
            path = f"rules[{index}]"
            if self.mapping(rule, path) is None:
                continue
            rule_id = self.code(rule, "id", path)
            self.unique(seen, rule_id, f"{path}.id", "rule id")
            self.text(rule, "message", path)

            when = self.mapping(rule.get("when"), f"{path}.when")
            if when is not None:
                self.product_refs(when.get("codes"), f"{path}.when.codes")
                self.type_refs(when.get("types"), f"{path}.when.types")
                price_type = when.get("price_type")
                if price_type is not None and price_type not in PRICE_TYPES:
                    self.fail(
                        f"{path}.when.price_type", f"unknown price type {price_type!r}"
                    )
                if not when:
                    self.fail(
                        f"{path}.when", "must pick lines by codes, types or price_type"
                    )

            if "require" not in rule and "forbid_with" not in rule:
                self.fail(path, "needs require or forbid_with")
            for key in ("require", "forbid_with"):
                condition = self.mapping(rule.get(key), f"{path}.{key}", required=False)
                if condition is None:
                    continue
                self.type_refs(
                    condition.get("any_of_types"), f"{path}.{key}.any_of_types"
                )
                self.product_refs(
                    condition.get("any_of_codes"), f"{path}.{key}.any_of_codes"
                )
                self.mapping(
                    condition.get("device_attribute"),
                    f"{path}.{key}.device_attribute",
                    required=False,
                )

    def check_cross_sell(self, value: Any) -> None:
        for index, link in enumerate(self.listing(value, "cross_sell")):
            path = f"cross_sell[{index}]"
            if self.mapping(link, path) is None:
                continue
            source = link.get("from")
            if source not in self.product_types:
                self.fail(f"{path}.from", f"names a missing product {source!r}")
            self.listing(link.get("to"), f"{path}.to", required=True)
            self.product_refs(link.get("to"), f"{path}.to")

    def check_discount(self, value: Any, path: str) -> None:
        discount = self.mapping(value, path)
        if discount is None:
            return
        has_percent, has_amount = "percent" in discount, "amount" in discount
        if has_percent == has_amount:
            self.fail(path, "needs exactly one of percent or amount")
        if has_percent:
            self.integer(discount, "percent", path, minimum=1, maximum=100)
        if has_amount:
            self.integer(discount, "amount", path, minimum=0)
        self.integer(discount, "months", path, minimum=1, maximum=60, required=False)
        target = discount.get("on")
        if target is not None and target not in DISCOUNT_TARGETS:
            self.fail(f"{path}.on", "must be recurring or one_time")

    def check_condition(self, value: Any, path: str) -> None:
        condition = self.mapping(value, path, required=False)
        if condition is not None:
            self.integer(condition, "min_lines", path, minimum=1, required=False)

    def check_campaigns(self, value: Any) -> None:
        seen: dict[Any, str] = {}
        for index, campaign in enumerate(self.listing(value, "campaigns")):
            path = f"campaigns[{index}]"
            if self.mapping(campaign, path) is None:
                continue
            code = self.code(campaign, "code", path)
            self.unique(seen, code, f"{path}.code", "campaign code")
            self.text(campaign, "name", path)
            applies = self.mapping(campaign.get("applies_to"), f"{path}.applies_to")
            if applies is not None:
                self.product_refs(applies.get("codes"), f"{path}.applies_to.codes")
                self.type_refs(applies.get("types"), f"{path}.applies_to.types")
            self.check_discount(campaign.get("discount"), f"{path}.discount")
            self.check_condition(campaign.get("condition"), f"{path}.condition")
            self.window(campaign, "valid", path, required=True)
            self.channel_refs(campaign.get("channels"), f"{path}.channels")

    def check_promotion_codes(self, value: Any) -> None:
        seen: dict[Any, str] = {}
        for index, promotion in enumerate(self.listing(value, "promotion_codes")):
            path = f"promotion_codes[{index}]"
            if self.mapping(promotion, path) is None:
                continue
            code = self.code(promotion, "code", path)
            key = code.upper() if code else None
            self.unique(seen, key, f"{path}.code", "promotion code")
            self.check_discount(promotion.get("discount"), f"{path}.discount")
            self.check_condition(promotion.get("condition"), f"{path}.condition")
            self.integer(promotion, "max_redemptions", path, minimum=1, required=False)
            self.boolean(promotion, "once_per_customer", path)
            self.window(promotion, "valid", path, required=False)

    def check_placements(self, value: Any) -> None:
        for index, placement in enumerate(self.listing(value, "placements")):
            path = f"placements[{index}]"
            if self.mapping(placement, path) is None:
                continue
            channel = placement.get("channel")
            if channel not in self.channel_codes:
                self.fail(f"{path}.channel", f"names a missing channel {channel!r}")
            self.text(placement, "slot", path)
            self.integer(placement, "priority", path, required=False)
            self.content_ref(placement, "content", path)
            self.product_refs(placement.get("products"), f"{path}.products")
            self.window(placement, "schedule", path, required=False)
            self.check_experiment(placement.get("experiment"), f"{path}.experiment")

    def check_experiment(self, value: Any, path: str) -> None:
        experiment = self.mapping(value, path, required=False)
        if experiment is None:
            return
        self.text(experiment, "name", path)
        variants = self.listing(experiment.get("variants"), f"{path}.variants", True)
        if experiment.get("variants") is not None and len(variants) < 2:
            self.fail(f"{path}.variants", "an experiment needs at least two variants")
        seen: dict[Any, str] = {}
        for index, variant in enumerate(variants):
            where = f"{path}.variants[{index}]"
            if self.mapping(variant, where) is None:
                continue
            key = self.text(variant, "key", where)
            self.unique(seen, key, f"{where}.key", "variant key")
            self.integer(variant, "weight", where, minimum=1, maximum=10_000)
            self.content_ref(variant, "content", where)

    def check_content(self, value: Any) -> None:
        seen: dict[Any, str] = {}
        for index, entry in enumerate(self.listing(value, "content")):
            path = f"content[{index}]"
            if self.mapping(entry, path) is None:
                continue
            entry_id = self.code(entry, "id", path)
            self.text(entry, "type", path)
            locale = self.text(entry, "locale", path)
            if locale and self.languages and locale not in self.languages:
                self.fail(
                    f"{path}.locale", f"{locale} is not one of the brand's languages"
                )
            self.unique(seen, (entry_id, locale), f"{path}.id", "content id and locale")
            self.mapping(entry.get("fields"), f"{path}.fields")


def _path_order(problem: PackProblem) -> tuple:
    """File order: sections as a pack lists them, ``products[10]`` after ``[9]``."""
    section = re.split(r"[.\[]", problem.path, maxsplit=1)[0]
    rank = SECTIONS.index(section) if section in SECTIONS else len(SECTIONS)
    parts = re.split(r"(\d+)", problem.path)
    keyed = tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)
    return rank, keyed, problem.message


def validate_tenant(data: Any) -> list[PackProblem]:
    """Problems of a pack's ``tenant`` section alone (the tenant API reuses it)."""
    checker = _PackChecker()
    checker.check_tenant(data)
    checker.problems.sort(key=_path_order)
    return checker.problems
