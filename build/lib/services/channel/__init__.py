"""The channel service: what each channel shows in each slot, and A/B tests."""
