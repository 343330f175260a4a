"""Request and response shapes of the basket service's API."""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

_CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$", error="not a code")
PAC = re.compile(r"^[A-Z]{3}\d{6}$")
UK_MOBILE = re.compile(r"^(\+44|0)7\d{9}$")


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class ContactSchema(StrictSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=120))
    email = ma.fields.Email(required=True)
    phone = ma.fields.String(validate=validate.Length(min=5, max=20))


class BasketCreateSchema(StrictSchema):
    channel = ma.fields.String(load_default="web", validate=_CODE)
    contact = ma.fields.Nested(ContactSchema)


class LineSpecSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=_CODE)
    sku = ma.fields.String(validate=_CODE)
    price_type = ma.fields.String(
        validate=validate.OneOf(["one_time", "recurring", "instalment"])
    )
    term_months = ma.fields.Integer(validate=validate.Range(min=1, max=60))
    quantity = ma.fields.Integer(validate=validate.Range(min=1, max=50))


class BundleSpecSchema(StrictSchema):
    kind = ma.fields.String(
        load_default="mobile", validate=validate.OneOf(["mobile", "broadband"])
    )
    postcode = ma.fields.String(validate=validate.Regexp(r"^[A-Za-z0-9 ]{2,10}$"))
    lines = ma.fields.List(
        ma.fields.Nested(LineSpecSchema), validate=validate.Length(max=20)
    )


class BundleChangeSchema(StrictSchema):
    postcode = ma.fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9 ]{2,10}$")
    )


class LineChangeSchema(StrictSchema):
    sku = ma.fields.String(validate=_CODE)
    price_type = ma.fields.String(
        validate=validate.OneOf(["one_time", "recurring", "instalment"])
    )
    term_months = ma.fields.Integer(validate=validate.Range(min=1, max=60))
    quantity = ma.fields.Integer(validate=validate.Range(min=1, max=50))


class PromotionCodeSchema(StrictSchema):
    code = ma.fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9-]{2,40}$")
    )


class PortInSchema(StrictSchema):
    number = ma.fields.String(
        required=True,
        validate=validate.Regexp(UK_MOBILE, error="not a UK mobile number"),
    )
    pac_code = ma.fields.String(
        required=True,
        validate=validate.Regexp(PAC, error="a PAC is 3 letters and 6 digits"),
    )
    date = ma.fields.Date(required=True)


class CheckoutLineSchema(StrictSchema):
    bundle_id = ma.fields.String(required=True, validate=validate.Length(max=36))
    number = ma.fields.String(
        load_default="new", validate=validate.OneOf(["new", "port_in"])
    )
    port_in = ma.fields.Nested(PortInSchema)
    esim_email = ma.fields.Email()


class AddressSchema(StrictSchema):
    line1 = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    line2 = ma.fields.String(validate=validate.Length(max=120))
    city = ma.fields.String(required=True, validate=validate.Length(min=1, max=80))
    postcode = ma.fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9 ]{2,10}$")
    )
    country = ma.fields.String(
        load_default="GB", validate=validate.Regexp(r"^[A-Z]{2}$")
    )


class CheckoutSchema(StrictSchema):
    contact = ma.fields.Nested(ContactSchema, required=True)
    delivery_address = ma.fields.Nested(AddressSchema)
    lines = ma.fields.List(
        ma.fields.Nested(CheckoutLineSchema),
        load_default=list,
        validate=validate.Length(max=20),
    )
    payment_provider = ma.fields.String(
        required=True,
        validate=validate.OneOf(["sandbox", "stripe", "invoice"]),
        metadata={"description": "the provider that issued the payment token"},
    )
    payment_method_token = ma.fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{6,200}$")
    )


class QuoteCreateSchema(StrictSchema):
    valid_days = ma.fields.Integer(load_default=30, validate=validate.Range(1, 90))


class SinceSchema(ma.Schema):
    days = ma.fields.Integer(load_default=30, validate=validate.Range(1, 365))


class BasketSchema(ma.Schema):
    """A basket as shown: bundles, lines, flags, broken rules and totals."""

    id = ma.fields.String()
    token = ma.fields.String(metadata={"description": "guest token, returned once"})
    status = ma.fields.String()
    channel = ma.fields.String()
    currency = ma.fields.String()
    customer_id = ma.fields.String(allow_none=True)
    expires_at = ma.fields.String()
    frozen_until = ma.fields.String(allow_none=True)
    contact = ma.fields.Dict(allow_none=True)
    order_reference = ma.fields.String(allow_none=True)
    bundles = ma.fields.List(ma.fields.Dict())
    promotion_codes = ma.fields.List(ma.fields.Dict())
    campaigns = ma.fields.List(ma.fields.Dict())
    tax = ma.fields.Dict()
    totals = ma.fields.Dict()
    price_changes = ma.fields.List(ma.fields.Dict())
    checkout_blockers = ma.fields.List(ma.fields.Dict())
    can_checkout = ma.fields.Boolean()


class ReceiptSchema(ma.Schema):
    basket_id = ma.fields.String()
    status = ma.fields.String()
    order_reference = ma.fields.String()
    order_status = ma.fields.String(allow_none=True)
    repeated = ma.fields.Boolean()


class QuoteSchema(ma.Schema):
    reference = ma.fields.String()
    basket_id = ma.fields.String()
    expires_at = ma.fields.DateTime()
    totals = ma.fields.Dict()


class RateSchema(ma.Schema):
    since = ma.fields.String()
    baskets = ma.fields.Integer()
    abandoned = ma.fields.Integer()
    checked_out = ma.fields.Integer()
    rate = ma.fields.Float()
