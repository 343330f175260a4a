"""Request and response shapes of the order service's API."""

from __future__ import annotations

import re
from datetime import date, timedelta

import marshmallow as ma
from marshmallow import ValidationError, validate, validates_schema

PAC_CODE = re.compile(r"^[A-Z]{3}\d{6}$")
UK_MOBILE = re.compile(r"^(07\d{9}|\+447\d{9})$")
PORT_WINDOW_DAYS = 30


class StrictSchema(ma.Schema):
    """Unknown fields are refused: no raw card data can slip in."""

    class Meta:
        unknown = ma.RAISE


class CustomerSchema(StrictSchema):
    id = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    name = ma.fields.String(load_default=None, validate=validate.Length(max=200))
    email = ma.fields.Email(required=True)
    phone = ma.fields.String(
        load_default=None, validate=validate.Regexp(r"^\+?\d{8,15}$")
    )


class AddressSchema(StrictSchema):
    line1 = ma.fields.String(required=True, validate=validate.Length(1, 200))
    line2 = ma.fields.String(load_default=None)
    city = ma.fields.String(required=True, validate=validate.Length(1, 100))
    postcode = ma.fields.String(required=True, validate=validate.Length(2, 12))
    country = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))


class PaymentMethodSchema(StrictSchema):
    provider = ma.fields.String(required=True, validate=validate.Length(1, 40))
    token = ma.fields.String(required=True, validate=validate.Length(1, 200))


class NumberChoiceSchema(StrictSchema):
    type = ma.fields.String(required=True, validate=validate.OneOf(["new", "port_in"]))
    msisdn = ma.fields.String(load_default=None)
    pac_code = ma.fields.String(load_default=None)
    port_date = ma.fields.Date(load_default=None)

    @validates_schema
    def check_port_in(self, data, **kwargs):
        if data["type"] != "port_in":
            return
        errors: dict[str, list[str]] = {}
        msisdn = (data.get("msisdn") or "").replace(" ", "")
        if not UK_MOBILE.match(msisdn):
            errors["msisdn"] = ["a UK mobile number, e.g. 07700900123"]
        pac = (data.get("pac_code") or "").upper()
        if not PAC_CODE.match(pac):
            errors["pac_code"] = [
                "a PAC code is 3 letters and 6 digits, e.g. ABC123456"
            ]
        port_date = data.get("port_date")
        today = date.today()
        if port_date is None:
            errors["port_date"] = ["the date to move the number is required"]
        elif not today < port_date <= today + timedelta(days=PORT_WINDOW_DAYS):
            errors["port_date"] = [
                f"must be after today and within {PORT_WINDOW_DAYS} days"
            ]
        if errors:
            raise ValidationError(errors)


class OrderLineInSchema(StrictSchema):
    kind = ma.fields.String(
        load_default="mobile", validate=validate.OneOf(["mobile", "device"])
    )
    bundle = ma.fields.String(load_default=None, validate=validate.Length(max=80))
    plan_code = ma.fields.String(load_default=None, validate=validate.Length(1, 80))
    plan_term_months = ma.fields.Integer(
        load_default=None, validate=validate.Range(1, 48)
    )
    device_product_code = ma.fields.String(load_default=None)
    sku = ma.fields.String(load_default=None, validate=validate.Length(1, 80))
    price_option = ma.fields.String(
        load_default=None, validate=validate.Regexp(r"^(one_time|instalment_\d{1,2})$")
    )
    instalment_amount = ma.fields.Integer(
        load_default=None, validate=validate.Range(min=0)
    )
    addons = ma.fields.List(ma.fields.String(), load_default=list)
    sim_type = ma.fields.String(
        load_default=None, validate=validate.OneOf(["physical", "esim"])
    )
    esim_email = ma.fields.Email(load_default=None)
    number = ma.fields.Nested(NumberChoiceSchema)
    due_today = ma.fields.Integer(required=True, validate=validate.Range(min=0))
    monthly = ma.fields.Integer(required=True, validate=validate.Range(min=0))

    @validates_schema(skip_on_field_errors=False)
    def check_telecom_details(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        if data.get("kind", "mobile") == "mobile":
            if not data.get("plan_code"):
                errors["plan_code"] = ["a mobile line needs a plan"]
            if not data.get("sim_type"):
                errors["sim_type"] = ["choose a physical SIM or an eSIM"]
            if "number" not in data:  # absent here also when its fields failed
                errors["number"] = ["choose a new number or a number to port in"]
            if data.get("sim_type") == "esim" and not data.get("esim_email"):
                errors["esim_email"] = ["an eSIM line needs an e-mail for its code"]
        elif not data.get("sku"):
            errors["sku"] = ["a device line needs the device's SKU"]
        if data.get("sku") and not data.get("price_option"):
            errors["price_option"] = ["choose one_time or instalment_<months>"]
        if errors:
            raise ValidationError(errors)


class TotalsSchema(StrictSchema):
    due_today = ma.fields.Integer(required=True, validate=validate.Range(min=0))
    monthly = ma.fields.Integer(required=True, validate=validate.Range(min=0))


class OrderCreateSchema(StrictSchema):
    basket_id = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    channel = ma.fields.String(required=True, validate=validate.Length(1, 24))
    currency = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    customer = ma.fields.Nested(CustomerSchema, required=True)
    delivery_address = ma.fields.Nested(AddressSchema, required=True)
    payment_method = ma.fields.Nested(PaymentMethodSchema, required=True)
    lines = ma.fields.List(
        ma.fields.Nested(OrderLineInSchema),
        required=True,
        validate=validate.Length(1, 20),
    )
    totals = ma.fields.Nested(TotalsSchema, required=True)

    @validates_schema(skip_on_field_errors=False)
    def check_totals(self, data, **kwargs):
        lines = data.get("lines") or []
        if "totals" not in data:
            return
        errors: dict[str, list[str]] = {}
        for part in ("due_today", "monthly"):
            total = sum(line.get(part, 0) for line in lines)
            if data["totals"][part] != total:
                errors[part] = [f"does not match the lines ({total})"]
        if errors:
            raise ValidationError({"totals": errors})


class OrderLineOutSchema(ma.Schema):
    id = ma.fields.String()
    position = ma.fields.Integer()
    kind = ma.fields.String()
    bundle = ma.fields.String()
    product_code = ma.fields.String()
    sku = ma.fields.String()
    price_option = ma.fields.String()
    sim_type = ma.fields.String()
    number_choice = ma.fields.String()
    port_msisdn = ma.fields.String()
    port_date = ma.fields.Date()
    msisdn = ma.fields.String()
    status = ma.fields.String()
    tracking_number = ma.fields.String()
    failure_reason = ma.fields.String()
    due_today = ma.fields.Integer()
    monthly = ma.fields.Integer()


class OrderOutSchema(ma.Schema):
    id = ma.fields.String()
    number = ma.fields.String()
    reference = ma.fields.String(attribute="number", dump_only=True)  # basket's name
    status = ma.fields.String()
    channel = ma.fields.String()
    customer_email = ma.fields.String()
    currency = ma.fields.String()
    due_today = ma.fields.Integer()
    monthly = ma.fields.Integer()
    customer_reason = ma.fields.String()
    created_at = ma.fields.DateTime()
    lines = ma.fields.List(ma.fields.Nested(OrderLineOutSchema))


class TimelineEntrySchema(ma.Schema):
    """What the customer sees of each step: when, what, how it went."""

    at = ma.fields.DateTime()
    step = ma.fields.String()
    action = ma.fields.String()
    outcome = ma.fields.String()


class StaffTimelineEntrySchema(TimelineEntrySchema):
    actor = ma.fields.String()
    detail = ma.fields.Dict()


class OrderWithTimelineSchema(OrderOutSchema):
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema))


class SagaOutSchema(ma.Schema):
    status = ma.fields.String()
    step = ma.fields.String()
    stock = ma.fields.String()
    payment = ma.fields.String()
    payment_attempt = ma.fields.Integer()
    deadline_at = ma.fields.DateTime()
    outstanding = ma.fields.Function(lambda s: sorted(s.outstanding))
    outstanding_attempts = ma.fields.Integer()
    next_retry_at = ma.fields.DateTime()


class StaffOrderSchema(OrderOutSchema):
    customer_phone = ma.fields.String()
    saga = ma.fields.Nested(SagaOutSchema)
    timeline = ma.fields.List(ma.fields.Nested(StaffTimelineEntrySchema))


class OrderSearchArgs(ma.Schema):
    number = ma.fields.String()
    email = ma.fields.String()
    phone = ma.fields.String()
    status = ma.fields.String()


class ReturnInSchema(StrictSchema):
    line_id = ma.fields.String(required=True)
    scope = ma.fields.String(required=True, validate=validate.OneOf(["device", "line"]))


class ReturnOutSchema(ma.Schema):
    id = ma.fields.String()
    order_id = ma.fields.String()
    line_id = ma.fields.String()
    scope = ma.fields.String()
    status = ma.fields.String()
    refund_amount = ma.fields.Integer()
    currency = ma.fields.String()


class ParkedOutSchema(ma.Schema):
    order_id = ma.fields.String()
    order_number = ma.fields.String()
    parked_at = ma.fields.DateTime()
    reason = ma.fields.String()
    pending = ma.fields.Dict()


class AnalyticsArgs(ma.Schema):
    since = ma.fields.Date(load_default=None)
    until = ma.fields.Date(load_default=None)


class BrandSettingsSchema(StrictSchema):
    number_prefix = ma.fields.String(validate=validate.Regexp(r"^[A-Z]{2,6}$"))
    fulfilment_base_url = ma.fields.Url(require_tld=False)
    fulfilment_mode = ma.fields.String(
        allow_none=True,
        validate=validate.OneOf(["http", "simulator"]),
        metadata={"description": "simulator: the built-in one (embedded runs)"},
    )
    callback_url = ma.fields.Url(require_tld=False)
    callback_secret = ma.fields.String(
        validate=validate.Length(16, 120), load_only=True
    )
    reserve_timeout_s = ma.fields.Integer(validate=validate.Range(1, 86400))
    payment_timeout_s = ma.fields.Integer(validate=validate.Range(1, 86400))
    fulfilment_timeout_s = ma.fields.Integer(validate=validate.Range(60, 90 * 86400))
    compensation_timeout_s = ma.fields.Integer(validate=validate.Range(1, 86400))
    compensation_max_attempts = ma.fields.Integer(validate=validate.Range(1, 50))


class FulfilmentCallbackSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    callback_id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    order_id = ma.fields.String(required=True)
    line_id = ma.fields.String(required=True)
    event = ma.fields.String(required=True)
    tracking_number = ma.fields.String(load_default=None)
    carrier = ma.fields.String(load_default=None)
    msisdn = ma.fields.String(load_default=None)
    reason = ma.fields.String(load_default=None)
