"""HTTP endpoints of the basket service: parse, call the service layer, answer."""

from flask_smorest import Blueprint

blp = Blueprint(
    "basket",
    __name__,
    description="Guest and signed-in baskets with telecom bundles and two totals.",
)
