"""Conditions the channel service reports, each mapped to one problem+json answer."""

from shared.http.problems import (
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    Unauthorized,
    Unprocessable,
)


class BrandPackRefused(Unprocessable):
    slug, title = "brand-pack-refused", "The brand pack was refused as a whole"


class PlacementInvalid(Unprocessable):
    slug, title = "validation-failed", "The request has invalid fields"


class ChannelNotFound(NotFound):
    slug, title = "channel-not-found", "No such sales channel"


class PlacementNotFound(NotFound):
    slug, title = "placement-not-found", "No such placement"


class ChannelNotSetUp(NotFound):
    slug, title = "channel-not-set-up", "This brand's channels are not set up yet"


class ChannelExists(Conflict):
    slug, title = "channel-exists", "A channel with this code exists"


class PlacementExists(Conflict):
    slug, title = "placement-exists", "A placement with this code exists"


class StaffOnly(Forbidden):
    slug, title = "staff-only", "Only the brand's staff may do this"


class ContentfulNotConfigured(NotFound):
    slug, title = "contentful-not-configured", "This brand does not use Contentful"


class WebhookRefused(Unauthorized):
    slug, title = "webhook-refused", "The webhook's signature or timestamp is wrong"


class InvalidEvent(Unprocessable):
    slug, title = "invalid-event", "The storefront event cannot be recorded"


__all__ = [
    "BrandPackRefused",
    "ChannelExists",
    "ChannelNotFound",
    "ChannelNotSetUp",
    "ContentfulNotConfigured",
    "InvalidEvent",
    "PlacementExists",
    "PlacementInvalid",
    "PlacementNotFound",
    "Problem",
    "StaffOnly",
    "WebhookRefused",
]
