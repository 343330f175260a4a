"""HTTP endpoints of the tenant service: parse, call the service layer, answer."""

from flask_smorest import Blueprint

blp = Blueprint(
    "tenant",
    __name__,
    description="Brands, their identity, look, secrets and audit trail.",
)
