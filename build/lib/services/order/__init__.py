"""The order service: The order saga from checkout to an active line."""
