"""Conditions the order service reports, each mapped to one problem+json answer."""

from shared.http.problems import Conflict, NotFound, Unauthorized


class OrderNotFound(NotFound):
    slug, title = "order-not-found", "No such order"


class CancellationTooLate(Conflict):
    slug, title = "cancellation-too-late", "The order can no longer be cancelled"


class CoolingOffOver(Conflict):
    slug, title = "cooling-off-over", "The cooling-off period has ended"


class LineNotReturnable(Conflict):
    slug, title = "line-not-returnable", "This line cannot be returned"


class ReturnNotAwaitingReceipt(Conflict):
    slug, title = "return-not-awaiting-receipt", "This return is not awaiting the item"


class OrderNotParked(Conflict):
    slug, title = "order-not-parked", "The order is not parked"


class CallbackSignatureInvalid(Unauthorized):
    slug, title = "callback-signature-invalid", "The callback signature is invalid"
