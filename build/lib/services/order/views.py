"""HTTP endpoints of the order service: parse, call the service layer, answer."""

from flask_smorest import Blueprint

blp = Blueprint(
    "order", __name__, description="The order saga from checkout to an active line."
)
