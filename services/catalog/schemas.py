"""Request and response shapes of the catalog service's API."""

import marshmallow as ma
from marshmallow import validate

from services.catalog.models import PRICE_TYPES, PRODUCT_TYPES
from services.catalog.search import SORTS

_CODE = validate.Length(min=1, max=80)


class ListingArgsSchema(ma.Schema):
    q = ma.fields.String(validate=validate.Length(max=200))
    type = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(PRODUCT_TYPES)), data_key="type"
    )
    brand = ma.fields.List(ma.fields.String(validate=validate.Length(max=80)))
    tag = ma.fields.List(ma.fields.String(validate=validate.Length(max=40)))
    network = ma.fields.String(validate=validate.OneOf(["4G", "5G", "4g", "5g"]))
    esim = ma.fields.Boolean()
    unlimited = ma.fields.Boolean()
    data_gb_min = ma.fields.Integer(
        validate=validate.Range(min=0),
        metadata={
            "description": "at least this much data; unlimited plans always match"
        },
    )
    today_min = ma.fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "lowest outright (one-time) price, minor units"},
    )
    today_max = ma.fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "highest outright (one-time) price, minor units"},
    )
    monthly_min = ma.fields.Integer(
        validate=validate.Range(min=0),
        metadata={
            "description": "lowest monthly price (plan fee or instalment), minor units"
        },
    )
    monthly_max = ma.fields.Integer(
        validate=validate.Range(min=0),
        metadata={
            "description": "highest monthly price (plan fee or instalment), minor units"
        },
    )
    channel = ma.fields.String(validate=validate.Length(max=40))
    sort = ma.fields.String(
        load_default="name", validate=validate.OneOf([*SORTS, "relevance"])
    )


class TaxedAmountSchema(ma.Schema):
    amount = ma.fields.Integer(required=True)
    incl_tax = ma.fields.Integer(required=True)
    excl_tax = ma.fields.Integer(required=True)


class ProductSummarySchema(ma.Schema):
    code = ma.fields.String()
    type = ma.fields.String()
    name = ma.fields.String()
    brand = ma.fields.String(allow_none=True)
    attributes = ma.fields.Dict()
    tags = ma.fields.List(ma.fields.String())
    lifecycle = ma.fields.String()
    price_today_from = ma.fields.Nested(TaxedAmountSchema, allow_none=True)
    price_monthly_from = ma.fields.Nested(TaxedAmountSchema, allow_none=True)


class ProductPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProductSummarySchema))
    total = ma.fields.Integer()
    facets = ma.fields.Dict()


class PriceSchema(TaxedAmountSchema):
    id = ma.fields.Integer()
    type = ma.fields.String()
    currency = ma.fields.String()
    period = ma.fields.String(allow_none=True)
    term_months = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String(allow_none=True)


class VariantSchema(ma.Schema):
    sku = ma.fields.String()
    gtin = ma.fields.String(allow_none=True)
    attributes = ma.fields.Dict()
    preorder = ma.fields.Boolean()
    expected_on = ma.fields.String(allow_none=True)
    in_stock = ma.fields.Boolean()
    device = ma.fields.Dict(allow_none=True)
    prices = ma.fields.List(ma.fields.Nested(PriceSchema))


class ProductDetailSchema(ProductSummarySchema):
    currency = ma.fields.String()
    tax = ma.fields.Dict()
    requires = ma.fields.Dict(allow_none=True)
    serviceable_areas = ma.fields.List(ma.fields.String(), allow_none=True)
    prices = ma.fields.List(ma.fields.Nested(PriceSchema))
    variants = ma.fields.List(ma.fields.Nested(VariantSchema))


class ChannelArgsSchema(ma.Schema):
    channel = ma.fields.String(validate=validate.Length(max=40))


class EffectivePriceArgsSchema(ma.Schema):
    channel = ma.fields.String(required=True, validate=validate.Length(max=40))
    at = ma.fields.AwareDateTime(default_timezone=None)
    price_id = ma.fields.Integer()
    sku = ma.fields.String(validate=_CODE)
    price_type = ma.fields.String(validate=validate.OneOf(PRICE_TYPES))
    term_months = ma.fields.Integer(validate=validate.Range(min=1, max=120))
    lines = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))


class ScheduleMonthSchema(TaxedAmountSchema):
    month = ma.fields.Integer()
    list = ma.fields.Integer()
    discount = ma.fields.Integer()


class EffectivePriceSchema(ma.Schema):
    product = ma.fields.String()
    price_id = ma.fields.Integer()
    price_type = ma.fields.String()
    term_months = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String(allow_none=True)
    at = ma.fields.String()
    currency = ma.fields.String()
    campaign = ma.fields.String(allow_none=True)
    due_today = ma.fields.Nested(TaxedAmountSchema)
    per_month = ma.fields.Nested(TaxedAmountSchema)
    schedule = ma.fields.List(ma.fields.Nested(ScheduleMonthSchema))
    total_over_term = ma.fields.Integer()


class BasketLineSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=_CODE)
    sku = ma.fields.String(validate=_CODE)
    price_type = ma.fields.String(validate=validate.OneOf(PRICE_TYPES))
    term_months = ma.fields.Integer(validate=validate.Range(min=1, max=120))


class BundleSchema(ma.Schema):
    id = ma.fields.String(validate=validate.Length(max=64))
    lines = ma.fields.List(
        ma.fields.Nested(BasketLineSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
    )


class BasketCheckSchema(ma.Schema):
    bundles = ma.fields.List(
        ma.fields.Nested(BundleSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
    )


class BrokenRuleSchema(ma.Schema):
    rule = ma.fields.String()
    message = ma.fields.String()
    bundle = ma.fields.String()
    lines = ma.fields.List(ma.fields.String())


class BasketVerdictSchema(ma.Schema):
    compatible = ma.fields.Boolean()
    broken_rules = ma.fields.List(ma.fields.Nested(BrokenRuleSchema))
    suggestions = ma.fields.List(ma.fields.Dict())


class CampaignArgsSchema(ma.Schema):
    channel = ma.fields.String(required=True, validate=validate.Length(max=40))
    at = ma.fields.AwareDateTime(
        default_timezone=None,
        metadata={"description": "the moment to ask about; now when left out"},
    )


class CampaignSchema(ma.Schema):
    """A running campaign, in the brand pack's own shape."""

    code = ma.fields.String()
    name = ma.fields.String()
    applies_to = ma.fields.Dict()
    discount = ma.fields.Dict()
    condition = ma.fields.Dict()
    channels = ma.fields.List(ma.fields.String())
    valid = ma.fields.Dict()


class CampaignListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CampaignSchema))


class ServiceabilityArgsSchema(ma.Schema):
    postcode = ma.fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9A-Za-z]{0,3}$"),
    )


class ServiceabilitySchema(ma.Schema):
    product = ma.fields.String()
    postcode = ma.fields.String()
    area = ma.fields.String()
    available = ma.fields.Boolean()


class CatalogImportSchema(ma.Schema):
    """The pack's catalog sections, as parsed from its YAML."""

    settings = ma.fields.Dict(required=True)
    products = ma.fields.List(ma.fields.Dict(), required=True)
    rules = ma.fields.List(ma.fields.Dict(), load_default=list)
    cross_sell = ma.fields.List(ma.fields.Dict(), load_default=list)
    campaigns = ma.fields.List(ma.fields.Dict(), load_default=list)


class ImportSummarySchema(ma.Schema):
    products_created = ma.fields.Integer()
    products_updated = ma.fields.Integer()
    products_retired = ma.fields.Integer()
    variants = ma.fields.Integer()
    prices = ma.fields.Integer()
    rules = ma.fields.Integer()
    campaigns = ma.fields.Integer()
    cross_sell = ma.fields.Integer()


class DeviceOverrideSchema(ma.Schema):
    """A brand's own fields over the shared device record; others stay shared."""

    gtin = ma.fields.String(dump_only=True)
    name = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
    images = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=500)),
        allow_none=True,
        validate=validate.Length(max=20),
    )


class StockAdjustmentSchema(ma.Schema):
    delta = ma.fields.Integer(
        required=True, validate=validate.Range(min=-100_000, max=100_000)
    )
    reason = ma.fields.String(
        required=True,
        validate=validate.OneOf(["restock", "write_off", "count_correction"]),
    )


class StockLevelSchema(ma.Schema):
    sku = ma.fields.String()
    on_hand = ma.fields.Integer()
