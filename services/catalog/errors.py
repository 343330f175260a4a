"""Conditions the catalog service reports, each mapped to one problem+json answer."""

from shared.http.problems import Conflict, NotFound, Problem, Unprocessable

__all__ = ["Problem"]


class ProductNotFound(NotFound):
    slug, title = "product-not-found", "No such product in this catalog"


class PriceOptionNotFound(NotFound):
    slug, title = "price-option-not-found", "No such price option for this product"


class PriceOptionAmbiguous(Unprocessable):
    slug, title = "price-option-ambiguous", "Choose one of the product's prices"


class CatalogPackRefused(Unprocessable):
    slug, title = "catalog-pack-refused", "The catalog sections were refused"


class CatalogNotImported(NotFound):
    slug, title = "catalog-not-imported", "This brand has no catalog yet"


class NotServiceable(Unprocessable):
    slug, title = "not-broadband", "This product has no serviceability check"


class StockNotAdjustable(Conflict):
    slug, title = "stock-not-adjustable", "This stock level cannot change that way"
