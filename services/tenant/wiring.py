"""What the tenant service's use cases are given, built once per app."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from services.tenant.provisioning import Publisher
from services.tenant.tokens import KeyRing
from shared.config import Settings
from shared.secrets import Vault
from shared.tenancy.registry import TenantRegistry


@dataclass
class Wiring:
    db: SQLAlchemy
    settings: Settings
    registry: TenantRegistry
    publish: Publisher
    vault: Vault
    hasher: PasswordHasher
    keyring: KeyRing


def wiring(app: Flask) -> Wiring:
    return app.extensions["telecart"].extras["tenant"]
