"""The HTTP edge every service shares: problem+json, ids, paging, idempotency."""
