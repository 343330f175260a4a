"""Conditions the basket service reports, each mapped to one problem+json answer."""

from shared.http.problems import Conflict, NotFound, Problem, Unprocessable


class BasketNotFound(NotFound):
    """No such basket for this brand, or not yours (the same answer on purpose)."""

    slug, title = "basket-not-found", "Basket not found"


class QuoteNotFound(NotFound):
    slug, title = "quote-not-found", "Quote not found"


class BundleNotFound(NotFound):
    slug, title = "bundle-not-found", "Bundle not found"


class LineNotFound(NotFound):
    slug, title = "line-not-found", "Basket line not found"


class BasketExpired(Problem):
    status, slug, title = 410, "basket-expired", "This basket has expired"


class QuoteExpired(Problem):
    status, slug, title = 410, "quote-expired", "This quote has expired"


class BasketClosed(Conflict):
    slug, title = "basket-closed", "This basket can no longer change"


class InvalidBasketChange(Unprocessable):
    """Bad input for a basket change; ``errors`` names each field."""

    slug, title = "invalid-basket-change", "The basket change is not possible"


class CheckoutBlocked(Conflict):
    slug, title = "checkout-blocked", "The basket cannot be checked out yet"


class PricesChanged(Conflict):
    slug, title = "prices-changed", "Prices changed since the basket was shown"


class PromotionCodeUsedUp(Conflict):
    slug, title = "promotion-code-used-up", "A promotion code is no longer available"


class CatalogUnreachable(Problem):
    status, slug, title = 503, "catalog-unavailable", "The catalog is unavailable"


class OrderServiceUnreachable(Problem):
    status, slug, title = 503, "order-service-unavailable", "Orders are unavailable"


class SignInRequired(Problem):
    status, slug, title = 401, "sign-in-required", "Sign in to do this"


def field(name: str, message: str) -> list[dict[str, str]]:
    return [{"field": name, "location": "json", "message": message}]
