"""The six Telecart services; each is a Flask app built by ``create_app()``."""
