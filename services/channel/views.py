"""HTTP endpoints of the channel service: parse, call the service layer, answer."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.channel import contentful_hooks, schemas, service
from services.channel.access import (
    caller_claims,
    is_signed_in_customer,
    is_staff,
    staff_only,
)
from services.channel.errors import StaffOnly
from services.channel.placements import SlotRequest
from shared.http.app import runtime
from shared.tenancy import require_tenant

blp = Blueprint(
    "channel",
    __name__,
    description="What each sales channel shows in each page slot, and A/B tests.",
)


def _rt() -> service.ChannelRuntime:
    return runtime(current_app).extras["channel"]


def _slot_request(args: dict, claims: dict | None) -> SlotRequest:
    """Signed in or guest comes from the token, never from the query.

    The token carries no customer kind: the storefront's ``customer`` hint
    (new / existing) counts for a signed-in customer only.
    """
    signed_in = is_signed_in_customer(claims)
    return SlotRequest(
        channel=args["channel"],
        slot=args["slot"],
        locale=args["locale"],
        visitor_id=args.get("visitor"),
        signed_in=signed_in,
        customer=args.get("customer") if signed_in else None,
    )


def _resolve(args: dict, claims: dict | None, at=None) -> dict:
    tenant = require_tenant()
    catalog = _rt().catalog.for_request(request.host_url, request.host, tenant.id)
    slot = _slot_request(args, claims)
    return service.resolve_slot(_rt(), tenant, slot, catalog, at=at)


@blp.route("/placements")
@blp.arguments(schemas.SlotQuerySchema, location="query")
@blp.response(200, schemas.SlotSchema)
def storefront_slot(args):
    """What a slot shows this visitor now, in order, with resolved content.

    ``at`` is honoured for the brand's staff only (a preview records no
    exposure); anyone else asking for another date is refused.
    """
    claims = caller_claims()
    if args.get("at") and not is_staff(claims):
        raise StaffOnly("only staff may preview another date (at)", field="at")
    return _resolve(args, claims, at=args.get("at"))


@blp.route("/preview/placements")
@staff_only
@blp.arguments(schemas.PreviewQuerySchema, location="query")
@blp.response(200, schemas.SlotSchema)
def staff_preview(args):
    """What slot S will show on date D (staff only)."""
    return _resolve(args, None, at=args["at"])


@blp.route("/events", methods=["POST"])
@blp.arguments(schemas.StorefrontEventsSchema)
@blp.response(202)
def storefront_events(body):
    """Impressions and clicks from the storefront."""
    accepted = service.record_storefront_events(_rt(), require_tenant(), body["events"])
    return {"accepted": accepted}


@blp.route("/contentful/webhook", methods=["POST"])
@blp.response(200)
def contentful_webhook():
    """Contentful's publish/unpublish webhook for this brand (signed)."""
    return contentful_hooks.receive_contentful_webhook(
        _rt(),
        method=request.method,
        path=request.full_path.rstrip("?"),
        headers=dict(request.headers),
        body=request.get_data(cache=False),
    )


@blp.route("/admin/pack", methods=["POST"])
@staff_only
@blp.response(200)
def import_pack():
    """Import the brand pack's channels, placements and content (all or nothing)."""
    return service.import_brand_pack(request.get_json(force=False) or {})


@blp.route("/admin/channels")
class Channels(MethodView):
    decorators = [staff_only]

    @blp.response(200, schemas.ChannelSchema(many=True))
    def get(self):
        return service.list_channels()

    @blp.arguments(schemas.ChannelSchema)
    @blp.response(201, schemas.ChannelSchema)
    def post(self, body):
        return service.create_channel(body)


@blp.route("/admin/channels/<code>")
class ChannelByCode(MethodView):
    decorators = [staff_only]

    @blp.arguments(schemas.ChannelPatchSchema)
    @blp.response(200, schemas.ChannelSchema)
    def patch(self, body, code):
        return service.update_channel(code, body)


@blp.route("/admin/placements")
class Placements(MethodView):
    decorators = [staff_only]

    @blp.response(200, schemas.PlacementSchema(many=True))
    def get(self):
        return service.list_placements(
            request.args.get("channel"), request.args.get("slot")
        )

    @blp.arguments(schemas.NewPlacementSchema)
    @blp.response(201, schemas.PlacementSchema)
    def post(self, body):
        return service.save_placement(body.pop("code"), body, create=True)


@blp.route("/admin/placements/<code>")
class PlacementByCode(MethodView):
    decorators = [staff_only]

    @blp.response(200, schemas.PlacementSchema)
    def get(self, code):
        return service.get_placement(code)

    @blp.arguments(schemas.PlacementBodySchema)
    @blp.response(200, schemas.PlacementSchema)
    def put(self, body, code):
        return service.save_placement(code, body, create=False)

    @blp.response(204)
    def delete(self, code):
        service.delete_placement(code)


@blp.route("/admin/placements/<code>/results")
@staff_only
@blp.response(200)
def placement_results(code):
    """Impressions, CTR, conversion rate and significance per variant."""
    return service.placement_stats(code)


@blp.route("/admin/settings/contentful", methods=["PUT"])
@staff_only
@blp.arguments(schemas.ContentfulSettingsSchema)
@blp.response(200, schemas.ContentfulSettingsAnswerSchema)
def contentful_settings(body):
    return contentful_hooks.configure_contentful(body)
