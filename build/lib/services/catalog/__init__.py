"""The catalog service: Products, prices, campaigns, compatibility and stock."""
