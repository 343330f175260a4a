"""HTTP endpoints of the payment service: parse, call the service layer, answer."""

from flask_smorest import Blueprint

blp = Blueprint(
    "payment",
    __name__,
    description="Payment providers, authorisations, captures, refunds and billing.",
)
