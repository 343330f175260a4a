"""Request and response shapes of the payment service's API."""

import marshmallow as ma
from marshmallow import validate

from services.payment.gateways import PROVIDERS

_CURRENCY = validate.Regexp(r"^[A-Z]{3}$", error="An ISO 4217 code, e.g. GBP.")
_COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="An ISO 3166 alpha-2 code.")


class CustomerSchema(ma.Schema):
    id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    email = ma.fields.Email(load_default=None)
    device_id = ma.fields.String(load_default=None, validate=validate.Length(1, 120))


class AuthorisationRequestSchema(ma.Schema):
    order_id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    attempt = ma.fields.Integer(load_default=1, validate=validate.Range(1, 99))
    amount = ma.fields.Integer(required=True, validate=validate.Range(1, 10**9))
    currency = ma.fields.String(required=True, validate=_CURRENCY)
    provider = ma.fields.String(required=True, validate=validate.OneOf(PROVIDERS))
    payment_token = ma.fields.String(
        load_default=None, validate=validate.Length(1, 120)
    )
    payment_method_id = ma.fields.String(load_default=None)
    customer = ma.fields.Nested(CustomerSchema, required=True)
    billing_country = ma.fields.String(load_default=None, validate=_COUNTRY)
    delivery_country = ma.fields.String(load_default=None, validate=_COUNTRY)
    address_key = ma.fields.String(load_default=None, validate=validate.Length(1, 64))

    @ma.validates_schema
    def one_payment_source(self, data, **kwargs):
        if bool(data.get("payment_token")) == bool(data.get("payment_method_id")):
            raise ma.ValidationError(
                "Send exactly one of payment_token or payment_method_id.",
                "payment_token",
            )


class PaymentMethodRefSchema(ma.Schema):
    provider = ma.fields.String(required=True, validate=validate.OneOf(PROVIDERS))
    token = ma.fields.String(required=True, validate=validate.Length(1, 120))


class SagaCustomerSchema(ma.Schema):
    id = ma.fields.String(load_default=None, allow_none=True)
    email = ma.fields.Email(load_default=None, allow_none=True)


class PaymentRequestedSchema(ma.Schema):
    """``order.payment_requested`` v1 (services/order/SAGA.md); unknown fields
    are ignored, as the contract asks of every consumer."""

    class Meta:
        unknown = ma.EXCLUDE

    order_id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    attempt = ma.fields.Integer(required=True, validate=validate.Range(1, 99))
    # 0 when nothing is due today (a SIM-only line): the authorisation then
    # only checks the card that the monthly mandate will charge.
    amount = ma.fields.Integer(required=True, validate=validate.Range(0, 10**9))
    currency = ma.fields.String(required=True, validate=_CURRENCY)
    payment_method = ma.fields.Nested(PaymentMethodRefSchema, required=True)
    idempotency_key = ma.fields.String(required=True)
    customer = ma.fields.Nested(SagaCustomerSchema, required=True, unknown=ma.EXCLUDE)


class AmountSchema(ma.Schema):
    amount = ma.fields.Integer(load_default=None, validate=validate.Range(1, 10**9))


class LedgerEntrySchema(ma.Schema):
    kind = ma.fields.String()
    amount = ma.fields.Integer()
    currency = ma.fields.String()
    provider_reference = ma.fields.String()
    created_at = ma.fields.DateTime()


class PaymentSchema(ma.Schema):
    id = ma.fields.String()
    order_id = ma.fields.String()
    attempt = ma.fields.Integer()
    amount = ma.fields.Integer()
    currency = ma.fields.String()
    captured_amount = ma.fields.Integer()
    refunded_amount = ma.fields.Integer()
    status = ma.fields.String()
    provider = ma.fields.String()
    provider_reference = ma.fields.String()
    decline_code = ma.fields.String()
    fraud_score = ma.fields.Integer()
    fraud_decision = ma.fields.String()
    fraud_reasons = ma.fields.List(ma.fields.String())
    ledger = ma.fields.List(ma.fields.Nested(LedgerEntrySchema))


class PaymentMethodRequestSchema(ma.Schema):
    customer_id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    provider = ma.fields.String(required=True, validate=validate.OneOf(PROVIDERS))
    token = ma.fields.String(required=True, validate=validate.Length(1, 120))
    card_brand = ma.fields.String(load_default=None, validate=validate.Length(1, 20))
    last4 = ma.fields.String(
        load_default=None, validate=validate.Regexp(r"^\d{4}$", error="Four digits.")
    )
    exp_month = ma.fields.Integer(load_default=None, validate=validate.Range(1, 12))
    exp_year = ma.fields.Integer(load_default=None, validate=validate.Range(2000, 2100))


class PaymentMethodSchema(ma.Schema):
    id = ma.fields.String()
    customer_id = ma.fields.String()
    provider = ma.fields.String()
    card_brand = ma.fields.String()
    last4 = ma.fields.String()
    exp_month = ma.fields.Integer()
    exp_year = ma.fields.Integer()


class WebhookAnswerSchema(ma.Schema):
    status = ma.fields.String()
    event_id = ma.fields.String()


class DiscountSchema(ma.Schema):
    source = ma.fields.String(required=True, validate=validate.Length(1, 80))
    percent = ma.fields.Integer(load_default=None, validate=validate.Range(1, 100))
    amount = ma.fields.Integer(load_default=None, validate=validate.Range(1, 10**7))
    months = ma.fields.Integer(load_default=None, validate=validate.Range(1, 120))
    from_month = ma.fields.Integer(load_default=1, validate=validate.Range(1, 120))

    @ma.validates_schema
    def percent_or_amount(self, data, **kwargs):
        if (data.get("percent") is None) == (data.get("amount") is None):
            raise ma.ValidationError(
                "Give exactly one of percent or amount.", "percent"
            )


class ComponentSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Length(1, 80))
    kind = ma.fields.String(
        required=True, validate=validate.OneOf(["plan", "addon", "instalment"])
    )
    amount = ma.fields.Integer(required=True, validate=validate.Range(0, 10**7))
    term_months = ma.fields.Integer(load_default=None, validate=validate.Range(1, 120))
    discounts = ma.fields.List(ma.fields.Nested(DiscountSchema), load_default=list)


class SubscriptionRequestSchema(ma.Schema):
    order_id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    line_id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    customer_id = ma.fields.String(required=True, validate=validate.Length(1, 64))
    provider = ma.fields.String(required=True, validate=validate.OneOf(PROVIDERS))
    token = ma.fields.String(required=True, validate=validate.Length(1, 120))
    currency = ma.fields.String(required=True, validate=_CURRENCY)
    activated_on = ma.fields.Date(required=True)
    components = ma.fields.List(
        ma.fields.Nested(ComponentSchema),
        required=True,
        validate=validate.Length(min=1),
    )


class SubscriptionChargeSchema(ma.Schema):
    period = ma.fields.Integer()
    due_on = ma.fields.Date()
    amount = ma.fields.Integer()
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    next_attempt_on = ma.fields.Date()


class SubscriptionSchema(ma.Schema):
    id = ma.fields.String()
    order_id = ma.fields.String()
    line_id = ma.fields.String()
    customer_id = ma.fields.String()
    provider = ma.fields.String()
    currency = ma.fields.String()
    first_billing_on = ma.fields.Date()
    status = ma.fields.String()
    components = ma.fields.List(ma.fields.Dict())
    monthly_schedule = ma.fields.Method("schedule")
    charges = ma.fields.List(ma.fields.Nested(SubscriptionChargeSchema))

    def schedule(self, subscription) -> list[int]:
        """What each month of the term costs, discounts applied."""
        from services.payment.billing import monthly_amount, term_of

        term = term_of(subscription.components) or 12
        return [
            monthly_amount(subscription.components, period)
            for period in range(1, term + 1)
        ]
