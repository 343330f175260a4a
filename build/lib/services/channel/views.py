"""HTTP endpoints of the channel service: parse, call the service layer, answer."""

from flask_smorest import Blueprint

blp = Blueprint(
    "channel",
    __name__,
    description="What each sales channel shows in each page slot, and A/B tests.",
)
