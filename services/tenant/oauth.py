"""The OAuth 2.0 token endpoint, built on authlib.

Grants: ``password`` (customers and staff on a brand's host, operators on the
operator endpoint), ``client_credentials`` (machine clients such as the
storefront server or a partner system) and ``refresh_token`` (rotating; the
reuse of a rotated token revokes its family). Access tokens are RS256 JWTs
from the key ring; the optional ``audience`` form field narrows ``aud`` to
some of ``telecart:<service>``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import (
    FlaskOAuth2Payload,
    FlaskOAuth2Request,
)
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc6749.requests import OAuth2Request
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import Flask, request

from services.tenant import identity, tokens
from services.tenant.models import OAuthClient, RefreshToken
from services.tenant.tokens import ACCESS_TTL, ALL_AUDIENCES, Principal
from services.tenant.wiring import wiring
from shared.http.problems import Problem
from shared.tenancy.context import current_tenant


class HttpsRequired(Problem):
    status, slug, title = 400, "https-required", "Sign-in needs HTTPS"


class _IngressRequest(FlaskOAuth2Request):
    """TLS ends at the ingress, so the URL the app sees says http; the
    ingress's ``X-Forwarded-Proto`` says what the client used."""

    def __init__(self, request: Any, url: str) -> None:
        OAuth2Request.__init__(
            self, method=request.method, uri=url, headers=request.headers
        )
        self._request = request
        self.payload = FlaskOAuth2Payload(request)


class TelecartAuthorizationServer(AuthorizationServer):
    def create_oauth2_request(self, request: Any) -> FlaskOAuth2Request:
        from flask import request as flask_request

        request = request or flask_request
        url = request.url
        forwarded = request.headers.get("X-Forwarded-Proto", "")
        production = wiring_here().settings.environment == "production"
        if url.startswith("http://") and (forwarded == "https" or not production):
            url = "https://" + url.removeprefix("http://")
        if not url.startswith("https://"):
            raise HttpsRequired("the token endpoint answers over HTTPS only")
        return _IngressRequest(request, url)


_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


class Client(ClientMixin):
    """authlib's view of an ``oauth_clients`` row."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.client_id = row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return identity.client_secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.secret_hash is None:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (self.row.grant_types or [])


class StoredRefreshToken:
    """authlib's view of a ``refresh_tokens`` row."""

    def __init__(self, row: RefreshToken) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return 0

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None

    def is_expired(self) -> bool:
        return False


class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = _AUTH_METHODS

    def authenticate_user(self, username: str, password: str) -> Principal | None:
        w = wiring_here()
        tenant = current_tenant()
        if tenant is None:
            return identity.authenticate_operator(w, username, password)
        return identity.authenticate_account(w, tenant, username, password)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = _AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        w = wiring_here()
        try:
            row = tokens.usable_refresh_token(w.db.session, refresh_token)
        except tokens.RefreshTokenReused:
            raise InvalidGrantError(
                "refresh token reused: every token of this sign-in is revoked"
            ) from None
        tenant = current_tenant()
        if row is None or row.tenant_id != (tenant.id if tenant else None):
            return None
        return StoredRefreshToken(row)

    def authenticate_user(self, credential: StoredRefreshToken) -> Principal | None:
        w = wiring_here()
        row = credential.row
        tenant = current_tenant()
        if row.subject_kind == "operator":
            principal = identity.operator_principal(w, row.subject)
        elif tenant is not None:
            principal = identity.account_principal(w, tenant, row.subject)
        else:
            principal = None
        if principal is None:
            return None
        return Principal(
            principal.subject,
            principal.kind,
            principal.roles,
            principal.tenant_id,
            family_id=row.family_id,
        )

    def revoke_old_credential(self, credential: StoredRefreshToken) -> None:
        credential.row.rotated_at = datetime.now(UTC)
        wiring_here().db.session.commit()


class RefreshTokenRevocation(RevocationEndpoint):
    """RFC 7009: revoking a refresh token ends its whole sign-in (family)."""

    CLIENT_AUTH_METHODS = _AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None):
        row = tokens.find_refresh_token(wiring_here().db.session, token_string)
        return StoredRefreshToken(row) if row else None

    def revoke_token(self, token: StoredRefreshToken, request: Any) -> None:
        session = wiring_here().db.session
        tokens.revoke_family(session, token.row.family_id)
        session.commit()


def wiring_here():
    from flask import current_app

    return wiring(current_app)


def _audiences() -> tuple[str, ...]:
    wanted = tuple((request.form.get("audience") or "").split())
    if not wanted:
        return ALL_AUDIENCES
    unknown = [a for a in wanted if a not in ALL_AUDIENCES]
    if unknown:
        raise InvalidRequestError(f"unknown audience {unknown[0]}")
    return wanted


def _query_client(client_id: str) -> Client | None:
    row = wiring_here().db.session.get(OAuthClient, client_id)
    tenant = current_tenant()
    if row is None or row.tenant_id != (tenant.id if tenant else None):
        return None
    return Client(row)


def _generate_token(
    grant_type: str,
    client: Client,
    user: Principal | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    w = wiring_here()
    session = w.db.session
    principal = user or Principal(
        client.row.client_id,
        "client",
        tuple(client.row.roles or []),
        client.row.tenant_id,
    )
    token = {
        "token_type": "Bearer",
        "access_token": w.keyring.access_token(session, principal, _audiences()),
        "expires_in": int(ACCESS_TTL.total_seconds()),
    }
    if scope:
        token["scope"] = scope
    if include_refresh_token and user is not None:
        token["refresh_token"] = tokens.issue_refresh_token(
            session, principal, client.row.client_id, scope or ""
        )
    return token


def _save_token(token: dict[str, Any], oauth_request: Any) -> None:
    wiring_here().db.session.commit()


def create_authorization_server(app: Flask) -> AuthorizationServer:
    server = TelecartAuthorizationServer(
        app, query_client=_query_client, save_token=_save_token
    )
    server.register_token_generator("default", _generate_token)
    server.register_grant(PasswordGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(RefreshTokenRevocation)
    return server


def discovery_document(issuer: str, base_url: str) -> dict[str, Any]:
    """RFC 8414 / OpenID discovery for this host's token endpoint."""
    return {
        "issuer": issuer,
        "token_endpoint": f"{base_url}/oauth/token",
        "revocation_endpoint": f"{base_url}/oauth/revoke",
        "jwks_uri": f"{base_url}/.well-known/jwks.json",
        "grant_types_supported": ["password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": _AUTH_METHODS,
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "tid", "roles"],
    }
