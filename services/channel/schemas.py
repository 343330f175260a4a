"""Request and response shapes of the channel service's API."""

import marshmallow as ma
from marshmallow import validate

from services.channel.placements import iso_utc
from services.channel.secrets import mask, open_secret

LOCALE = validate.Regexp(r"^[a-z]{2,3}(-[A-Z]{2})?$", error="a locale such as cy-GB")
CODE = validate.Regexp(r"^[a-z0-9][a-z0-9._-]{0,79}$", error="a lower-case code")


class SlotQuerySchema(ma.Schema):
    channel = ma.fields.String(required=True, validate=CODE)
    slot = ma.fields.String(required=True, validate=CODE)
    locale = ma.fields.String(required=True, validate=LOCALE)
    visitor = ma.fields.String(validate=validate.Length(min=1, max=80))
    customer = ma.fields.String(
        validate=validate.OneOf(["new", "existing"]),
        metadata={
            "description": "the storefront's hint, counted for a signed-in "
            "customer (bearer token) only; signed in or guest comes from the token"
        },
    )
    at = ma.fields.AwareDateTime(
        metadata={"description": "staff only: show the slot as at this instant"}
    )


class PreviewQuerySchema(SlotQuerySchema):
    at = ma.fields.AwareDateTime(required=True)


class SlotItemSchema(ma.Schema):
    placement = ma.fields.String()
    priority = ma.fields.Integer()
    experiment = ma.fields.Dict(allow_none=True)
    content = ma.fields.Dict(allow_none=True)
    products = ma.fields.List(ma.fields.Dict())
    window = ma.fields.Dict()


class SlotSchema(ma.Schema):
    channel = ma.fields.String()
    slot = ma.fields.String()
    locale = ma.fields.String()
    locale_chain = ma.fields.List(ma.fields.String())
    at = ma.fields.String()
    preview = ma.fields.Boolean()
    items = ma.fields.List(ma.fields.Nested(SlotItemSchema))


class StorefrontEventSchema(ma.Schema):
    type = ma.fields.String(
        required=True, validate=validate.OneOf(["impression", "click"])
    )
    placement = ma.fields.String(required=True, validate=validate.Length(max=120))
    visitor = ma.fields.String(required=True, validate=validate.Length(min=1, max=80))


class StorefrontEventsSchema(ma.Schema):
    events = ma.fields.List(
        ma.fields.Nested(StorefrontEventSchema),
        required=True,
        validate=validate.Length(min=1, max=100),
    )


class ChannelSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=CODE)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    assisted = ma.fields.Boolean(load_default=False)


class ChannelPatchSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=120))
    assisted = ma.fields.Boolean()


class ScheduleSchema(ma.Schema):
    from_ = ma.fields.AwareDateTime(data_key="from", attribute="from", allow_none=True)
    to = ma.fields.AwareDateTime(allow_none=True)


class VisibilitySchema(ma.Schema):
    locales = ma.fields.List(ma.fields.String(validate=LOCALE))
    audience = ma.fields.String(validate=validate.OneOf(["any", "signed_in", "guest"]))
    customer = ma.fields.String(validate=validate.OneOf(["any", "new", "existing"]))


class VariantSchema(ma.Schema):
    key = ma.fields.String(required=True, validate=CODE)
    weight = ma.fields.Integer(required=True, validate=validate.Range(min=1))
    content = ma.fields.String(allow_none=True)
    products = ma.fields.List(ma.fields.String(), allow_none=True)


class ExperimentSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=CODE)
    variants = ma.fields.List(
        ma.fields.Nested(VariantSchema), required=True, validate=validate.Length(min=2)
    )


class PlacementBodySchema(ma.Schema):
    channel = ma.fields.String(required=True, validate=CODE)
    slot = ma.fields.String(required=True, validate=CODE)
    priority = ma.fields.Integer(load_default=0)
    content = ma.fields.String(allow_none=True)
    products = ma.fields.List(ma.fields.String(), load_default=list)
    schedule = ma.fields.Nested(ScheduleSchema, allow_none=True)
    visibility = ma.fields.Nested(VisibilitySchema, allow_none=True)
    experiment = ma.fields.Nested(ExperimentSchema, allow_none=True)


class NewPlacementSchema(PlacementBodySchema):
    code = ma.fields.String(required=True, validate=CODE)


class PlacementSchema(ma.Schema):
    code = ma.fields.String()
    channel = ma.fields.Function(lambda p: p.channel.code)
    slot = ma.fields.String()
    priority = ma.fields.Integer()
    content = ma.fields.String(attribute="content_id")
    products = ma.fields.List(ma.fields.String())
    schedule = ma.fields.Function(
        lambda p: {"from": iso_utc(p.starts_at), "to": iso_utc(p.ends_at)}
    )
    visibility = ma.fields.Function(
        lambda p: {"locales": p.locales, "audience": p.audience, "customer": p.customer}
    )
    experiment = ma.fields.Function(
        lambda p: (
            None
            if p.experiment is None
            else {
                "name": p.experiment.name,
                "variants": [
                    {
                        "key": v.key,
                        "weight": v.weight,
                        "content": v.content_id,
                        "products": v.products,
                    }
                    for v in p.experiment.variants
                ],
            }
        )
    )
    source = ma.fields.String()


class ContentfulSettingsSchema(ma.Schema):
    space = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    environment = ma.fields.String(
        load_default="master", validate=validate.Length(min=1, max=64)
    )
    access_token = ma.fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )
    webhook_secret = ma.fields.String(
        required=True, load_only=True, validate=validate.Length(min=16, max=200)
    )
    api_url = ma.fields.URL(
        require_tld=False,
        schemes={"http", "https"},
        metadata={"description": "only to point a test at a stand-in"},
    )


class ContentfulSettingsAnswerSchema(ma.Schema):
    space = ma.fields.String(attribute="contentful_space")
    environment = ma.fields.String(attribute="contentful_environment")
    default_locale = ma.fields.String()
    languages = ma.fields.List(ma.fields.String())
    access_token = ma.fields.Function(
        lambda s: _masked(s.contentful_token_sealed),
        metadata={"description": "masked: the last four characters only"},
    )
    webhook_secret = ma.fields.Function(
        lambda s: _masked(s.contentful_webhook_secret_sealed),
        metadata={"description": "masked: the last four characters only"},
    )


def _masked(sealed: str | None) -> str | None:
    return mask(open_secret(sealed)) if sealed else None
