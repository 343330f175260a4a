"""The catalog service: Products, prices, campaigns, compatibility and stock.

Storefront reads (`GET /products` with filters, full-text `q`, sorting, page
pagination in `X-Pagination` and facet counts; `GET /products/{code}` with
variants and prices shown with and without tax, and an ETag), the effective
price of a price option on a channel at a moment with its discount schedule
month by month, basket compatibility and cross-sell, broadband
serviceability by postcode, and admin endpoints for a brand's catalog import,
device overrides and stock adjustments. Stock is reserved and released by
order events.
"""
