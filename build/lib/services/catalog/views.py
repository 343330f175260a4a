"""HTTP endpoints of the catalog service: parse, call the service layer, answer."""

from flask_smorest import Blueprint

blp = Blueprint(
    "catalog",
    __name__,
    description="Products, prices, campaigns, compatibility and stock.",
)
