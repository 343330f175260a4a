"""HTTP endpoints of the catalog service: parse, call the service layer, answer."""

from __future__ import annotations

import re

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.catalog import schemas, service, storefront
from services.catalog.cache import CatalogCache
from services.catalog.search import ListingQuery
from shared.auth import requires_auth
from shared.http.app import runtime
from shared.http.problems import Unprocessable

GTIN = re.compile(r"^[0-9]{8,14}$")

blp = Blueprint(
    "catalog",
    __name__,
    description="Products, prices, campaigns, compatibility and stock.",
)


def catalog_cache() -> CatalogCache | None:
    return runtime(current_app).extras.get("catalog_cache")


# The brand's staff only: a token of the tenant service with role tenant_admin
# whose ``tid`` is the Host's brand. Checked before the body is even parsed.
admin_only = requires_auth(roles=["tenant_admin"])


@blp.route("/products")
class Products(MethodView):
    @blp.arguments(schemas.ListingArgsSchema, location="query")
    @blp.response(200, schemas.ProductPageSchema)
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List products with filters, search, sorting and facet counts."""
        query = ListingQuery(
            q=args.get("q"),
            types=args.get("type", []),
            brands=args.get("brand", []),
            tags=args.get("tag", []),
            network=args.get("network"),
            esim=args.get("esim"),
            unlimited=args.get("unlimited"),
            data_gb_min=args.get("data_gb_min"),
            today_min=args.get("today_min"),
            today_max=args.get("today_max"),
            monthly_min=args.get("monthly_min"),
            monthly_max=args.get("monthly_max"),
            channel=args.get("channel"),
            sort=args["sort"],
        )
        page = storefront.list_products(
            catalog_cache(),
            query,
            pagination_parameters.page,
            pagination_parameters.page_size,
        )
        pagination_parameters.item_count = page["total"]
        etag = storefront.etag_of(page)
        if request.if_none_match.contains(etag):
            return Response(status=304, headers={"ETag": f'"{etag}"'})
        return page, 200, {"ETag": f'"{etag}"'}


@blp.route("/products/<code>")
class ProductById(MethodView):
    @blp.arguments(schemas.ChannelArgsSchema, location="query")
    @blp.response(200, schemas.ProductDetailSchema)
    def get(self, args, code):
        """A product with its variants and prices, tax shown both ways."""
        detail, etag = storefront.product_detail(
            catalog_cache(), code, args.get("channel")
        )
        if request.if_none_match.contains(etag):
            return Response(status=304, headers={"ETag": f'"{etag}"'})
        return detail, 200, {"ETag": f'"{etag}"'}


@blp.route("/products/<code>/effective-price")
class EffectivePrice(MethodView):
    @blp.arguments(schemas.EffectivePriceArgsSchema, location="query")
    @blp.response(200, schemas.EffectivePriceSchema)
    def get(self, args, code):
        """What a price option costs on a channel at a time, month by month."""
        return service.effective_price(code, **args)


@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.arguments(schemas.CampaignArgsSchema, location="query")
    @blp.response(200, schemas.CampaignListSchema)
    def get(self, args):
        """Campaigns running on a channel at a moment (for baskets to price)."""
        return {"items": service.running_campaigns(args["channel"], args.get("at"))}


@blp.route("/products/<code>/serviceability")
class Serviceability(MethodView):
    @blp.arguments(schemas.ServiceabilityArgsSchema, location="query")
    @blp.response(200, schemas.ServiceabilitySchema)
    def get(self, args, code):
        """Whether a broadband offer can be sold at a postcode."""
        return service.serviceability(code, args["postcode"])


@blp.route("/compatibility")
class Compatibility(MethodView):
    @blp.arguments(schemas.BasketCheckSchema)
    @blp.response(200, schemas.BasketVerdictSchema)
    def post(self, body):
        """Every rule a prospective basket breaks, and cross-sell suggestions."""
        return service.check_basket(body["bundles"])


@blp.route("/admin/catalog-import")
class CatalogImport(MethodView):
    @admin_only
    @blp.arguments(schemas.CatalogImportSchema)
    @blp.response(200, schemas.ImportSummarySchema)
    def post(self, body):
        """Import a brand pack's catalog sections, all or nothing (tenant admin)."""
        return service.import_catalog(catalog_cache(), **body)


@blp.route("/admin/devices/<gtin>")
class DeviceOverride(MethodView):
    @admin_only
    @blp.arguments(schemas.DeviceOverrideSchema)
    @blp.response(200, schemas.DeviceOverrideSchema)
    def put(self, body, gtin):
        """Override name, description or images of a shared device (tenant admin)."""
        if not GTIN.match(gtin):
            raise Unprocessable(
                "not a GTIN",
                errors=[
                    {"field": "gtin", "location": "path", "message": "8-14 digits"}
                ],
            )
        return service.override_device(catalog_cache(), gtin, body)


@blp.route("/admin/stock/<sku>/adjustments")
class StockAdjustments(MethodView):
    @admin_only
    @blp.arguments(schemas.StockAdjustmentSchema)
    @blp.response(200, schemas.StockLevelSchema)
    def post(self, body, sku):
        """Restock or write off units of a tracked SKU (tenant admin)."""
        return service.adjust_stock(sku, body["delta"], body["reason"])
