"""Conditions the basket service reports, each mapped to one problem+json answer."""

from shared.http.problems import NotFound, Problem  # noqa: F401 - base classes
