"""The payment service: providers, authorisations, captures, refunds, billing."""
