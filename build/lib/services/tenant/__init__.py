"""The tenant service: Brands, their identity, look, secrets and audit trail."""
