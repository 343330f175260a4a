"""The shape of the catalog sections the import relies on (types, not meaning).

Checked before anything else, so that the import's own checks and the upsert
can trust every value's type. Keys the catalog does not read are let through:
the whole-file validator in ``shared/brandpack`` owns the rest of a pack.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma


class _Shape(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE


def _strings(**kwargs: Any) -> ma.fields.List:
    return ma.fields.List(ma.fields.String(), **kwargs)


class PriceShape(_Shape):
    type = ma.fields.String(required=True)
    amount = ma.fields.Integer(strict=True, required=True)
    term_months = ma.fields.Integer(strict=True, allow_none=True)
    period = ma.fields.String(allow_none=True)
    currency = ma.fields.String()
    channel = ma.fields.String(allow_none=True)
    hidden = ma.fields.Boolean()


class VariantShape(_Shape):
    sku = ma.fields.String(required=True)
    gtin = ma.fields.String(allow_none=True)
    attributes = ma.fields.Dict(allow_none=True)
    prices = ma.fields.List(ma.fields.Nested(PriceShape), allow_none=True)
    stock = ma.fields.Integer(strict=True)
    stock_tracked = ma.fields.Boolean()
    preorder = ma.fields.Boolean()


class RequiresShape(_Shape):
    any_of_types = _strings()
    any_of_codes = _strings()


class ServiceabilityShape(_Shape):
    postcode_prefixes = _strings()


class ProductShape(_Shape):
    code = ma.fields.String(required=True)
    type = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    brand = ma.fields.String(allow_none=True)
    attributes = ma.fields.Dict(allow_none=True)
    tags = _strings(allow_none=True)
    lifecycle = ma.fields.String()
    requires = ma.fields.Nested(RequiresShape, allow_none=True)
    serviceability = ma.fields.Nested(ServiceabilityShape, allow_none=True)
    hidden_channels = _strings()
    prices = ma.fields.List(ma.fields.Nested(PriceShape), allow_none=True)
    variants = ma.fields.List(ma.fields.Nested(VariantShape), allow_none=True)


class WhenShape(_Shape):
    price_type = ma.fields.String()
    codes = _strings()
    types = _strings()


class ForbidShape(_Shape):
    device_attribute = ma.fields.Dict()


class RuleShape(_Shape):
    id = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    when = ma.fields.Nested(WhenShape, required=True)
    require = ma.fields.Nested(RequiresShape, allow_none=True)
    forbid_with = ma.fields.Nested(ForbidShape, allow_none=True)


class CrossSellShape(_Shape):
    source = ma.fields.String(required=True, data_key="from")
    to = _strings(required=True)


class DiscountShape(_Shape):
    percent = ma.fields.Integer(strict=True)
    amount = ma.fields.Integer(strict=True)
    months = ma.fields.Integer(strict=True, allow_none=True)
    on = ma.fields.String()


class AppliesToShape(_Shape):
    codes = _strings()
    types = _strings()


class CampaignShape(_Shape):
    code = ma.fields.String(required=True)
    name = ma.fields.String()
    applies_to = ma.fields.Nested(AppliesToShape, required=True)
    discount = ma.fields.Nested(DiscountShape, required=True)
    valid = ma.fields.Dict(required=True)
    channels = _strings()
    condition = ma.fields.Dict(allow_none=True)


class TaxShape(_Shape):
    rate_percent = ma.fields.Integer(strict=True, required=True)
    prices_include_tax = ma.fields.Boolean(required=True)


class ChannelShape(_Shape):
    code = ma.fields.String(required=True)


class SettingsShape(_Shape):
    currency = ma.fields.String(required=True)
    tax = ma.fields.Nested(TaxShape, required=True)
    channels = ma.fields.List(ma.fields.Nested(ChannelShape))


class SectionsShape(_Shape):
    settings = ma.fields.Nested(SettingsShape, required=True)
    products = ma.fields.List(ma.fields.Nested(ProductShape), required=True)
    rules = ma.fields.List(ma.fields.Nested(RuleShape))
    cross_sell = ma.fields.List(ma.fields.Nested(CrossSellShape))
    campaigns = ma.fields.List(ma.fields.Nested(CampaignShape))


def shape_errors(sections: dict[str, Any]) -> list[dict[str, str]]:
    """Each value of the wrong type, named by its path (``products[2].name``)."""
    messages = SectionsShape().validate(sections)
    return [
        {"field": path, "location": "json", "message": message}
        for path, message in _flatten(messages, "")
    ]


def _flatten(messages: Any, prefix: str) -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema" and prefix:
                path = prefix  # the value itself has the wrong type
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out += _flatten(value, path)
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(prefix or "_schema", " ".join(messages))]
    return [(prefix or "_schema", str(messages))]
