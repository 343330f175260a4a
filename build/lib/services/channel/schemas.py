"""Request and response shapes of the channel service's API."""
