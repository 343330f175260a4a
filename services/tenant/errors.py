"""Conditions the tenant service reports, each mapped to one problem+json answer."""

from shared.http.problems import Conflict, NotFound, Problem, Unprocessable


class BrandNotFound(NotFound):
    slug, title = "brand-not-found", "No such brand"


class SlugTaken(Conflict):
    slug, title = "slug-taken", "Another brand already uses this slug or domain"


class BrandInvalid(Unprocessable):
    slug, title = "brand-invalid", "The brand has invalid fields"


class SlugImmutable(Unprocessable):
    slug, title = "slug-immutable", "A brand's slug cannot change"


class AccountExists(Conflict):
    slug, title = "account-exists", "An account with this e-mail already exists"


class PasswordTooWeak(Unprocessable):
    slug, title = "password-too-weak", "The password does not meet the brand's policy"


class SecretNotFound(NotFound):
    slug, title = "secret-not-found", "No such secret"


class BrandNotProvisioned(Problem):
    status, slug, title = 409, "brand-not-active", "The brand is not active yet"


class AccountInvalid(Unprocessable):
    slug, title = "account-invalid", "The account has invalid fields"


class AccountNotFound(NotFound):
    slug, title = "account-not-found", "No such account"
