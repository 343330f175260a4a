"""Request and response shapes of the tenant service's API.

Field-level rules (slug, locale, ISO 4217 currency, colours...) are the brand
pack's, applied by the service layer, so the API and a pack refuse the same
things with the same words.
"""

import marshmallow as ma


class TaxSchema(ma.Schema):
    rate_percent = ma.fields.Float(required=True)
    prices_include_tax = ma.fields.Boolean(required=True)


class BrandInSchema(ma.Schema):
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    custom_domains = ma.fields.List(ma.fields.String(), load_default=list)
    locale = ma.fields.String(required=True)
    languages = ma.fields.List(ma.fields.String(), required=True)
    currency = ma.fields.String(required=True)
    tax = ma.fields.Nested(TaxSchema, required=True)
    theme = ma.fields.Dict(load_default=dict)
    payment_providers = ma.fields.List(ma.fields.String(), required=True)
    features = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean())
    settings = ma.fields.Dict()


class BrandPatchSchema(ma.Schema):
    """Only the fields sent change; ``settings`` merges into the current ones."""

    slug = ma.fields.String()
    name = ma.fields.String()
    custom_domains = ma.fields.List(ma.fields.String())
    locale = ma.fields.String()
    languages = ma.fields.List(ma.fields.String())
    currency = ma.fields.String()
    tax = ma.fields.Nested(TaxSchema)
    theme = ma.fields.Dict()
    payment_providers = ma.fields.List(ma.fields.String())
    features = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean())
    settings = ma.fields.Dict()


class BrandSchema(ma.Schema):
    id = ma.fields.String()
    slug = ma.fields.String()
    name = ma.fields.String()
    custom_domains = ma.fields.List(ma.fields.String())
    locale = ma.fields.String()
    languages = ma.fields.List(ma.fields.String())
    currency = ma.fields.String()
    tax = ma.fields.Dict()
    theme = ma.fields.Dict()
    payment_providers = ma.fields.List(ma.fields.String())
    features = ma.fields.Dict()
    settings = ma.fields.Dict()
    status = ma.fields.String()
    pack_digest = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()
    updated_at = ma.fields.String()


class BrandQuerySchema(ma.Schema):
    status = ma.fields.String(
        validate=ma.validate.OneOf(["provisioning", "active", "suspended"])
    )


class ProvisioningSchema(ma.Schema):
    tenant_id = ma.fields.String()
    status = ma.fields.String()
    answered = ma.fields.List(ma.fields.String())
    missing = ma.fields.List(ma.fields.String())
    started_at = ma.fields.String()
    elapsed_s = ma.fields.Float()
    timed_out = ma.fields.Boolean()


class PublicConfigSchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    locale = ma.fields.String()
    languages = ma.fields.List(ma.fields.String())
    currency = ma.fields.String()
    tax = ma.fields.Dict()
    features = ma.fields.Dict()
    theme = ma.fields.Dict()
    payment_providers = ma.fields.List(ma.fields.String())


class RegistrationSchema(ma.Schema):
    email = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)
    name = ma.fields.String(load_default="")


class AccountSchema(ma.Schema):
    id = ma.fields.String()
    email = ma.fields.String()
    name = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())


class ClientInSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))
    roles = ma.fields.List(ma.fields.String(), load_default=list)


class ClientSchema(ma.Schema):
    client_id = ma.fields.String()
    client_secret = ma.fields.String(metadata={"description": "shown once"})
    name = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())


class SecretInSchema(ma.Schema):
    value = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))


class SecretSchema(ma.Schema):
    name = ma.fields.String()
    value = ma.fields.String(metadata={"description": "masked: …abcd"})
    updated_at = ma.fields.String()


class AuditQuerySchema(ma.Schema):
    tenant_id = ma.fields.String()
    action = ma.fields.String()
    after_seq = ma.fields.Integer(load_default=0)
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, 500))


class AuditEntrySchema(ma.Schema):
    seq = ma.fields.Integer()
    at = ma.fields.DateTime()
    actor = ma.fields.String()
    actor_roles = ma.fields.List(ma.fields.String())
    tenant_id = ma.fields.String(allow_none=True)
    action = ma.fields.String()
    target = ma.fields.String()
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    hash = ma.fields.String()


class UsageQuerySchema(ma.Schema):
    since = ma.fields.Date(required=True)
    until = ma.fields.Date(required=True)


class UsageDaySchema(ma.Schema):
    day = ma.fields.String()
    orders = ma.fields.Integer()
    active_baskets = ma.fields.Integer()
    api_requests = ma.fields.Integer()
