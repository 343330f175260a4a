"""Operator endpoints (tenantless): brands, provisioning, staff, clients, usage.

Every route needs a platform token with the role ``platform_admin``; the key
set is public.
"""

from __future__ import annotations

from flask import current_app, jsonify
from flask_smorest import Blueprint

from services.tenant import (
    audit_views,
    brand_secrets,
    identity,
    provisioning,
    service,
)
from services.tenant.audit import Actor
from services.tenant.schemas import (
    AccountSchema,
    AuditEntrySchema,
    AuditQuerySchema,
    BrandInSchema,
    BrandPatchSchema,
    BrandQuerySchema,
    BrandSchema,
    ClientInSchema,
    ClientSchema,
    ProvisioningSchema,
    RegistrationSchema,
    SecretInSchema,
    SecretSchema,
    UsageDaySchema,
    UsageQuerySchema,
)
from services.tenant.usage import usage_report
from services.tenant.views import issue_token_response
from services.tenant.wiring import wiring
from shared.auth import current_claims, requires_auth

operator_blp = Blueprint(
    "operator",
    __name__,
    description="Platform operators: brands, provisioning, staff, clients, usage.",
)
keys_blp = Blueprint("keys", __name__, description="The token signing key set.")

OPERATOR = ["platform_admin"]


def _w():
    return wiring(current_app)


def _actor() -> Actor:
    return Actor.from_claims(current_claims())


def _view(brand):
    return service.brand_view(brand)


@keys_blp.route("/.well-known/jwks.json")
def jwks():
    """Public keys that verify access tokens (retired keys stay until expiry)."""
    w = _w()
    document = w.keyring.jwks(w.db.session)
    w.db.session.commit()  # a first key may have been created
    response = jsonify(document)
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


@operator_blp.route("/operator/token", methods=["POST"])
def operator_token():
    """Token endpoint for operators (password) and platform clients."""
    return issue_token_response()


@operator_blp.route("/tenants", methods=["POST"])
@requires_auth(roles=OPERATOR)
@operator_blp.arguments(BrandInSchema)
@operator_blp.response(201, BrandSchema)
def create_tenant(body):
    """Create a brand; it is ``provisioning`` until every service is ready."""
    return _view(service.create_brand(_w(), body, _actor()))


@operator_blp.route("/tenants", methods=["GET"])
@requires_auth(roles=OPERATOR)
@operator_blp.arguments(BrandQuerySchema, location="query")
@operator_blp.response(200, BrandSchema(many=True))
def list_tenants(query):
    return [_view(b) for b in service.list_brands(_w(), query.get("status"))]


@operator_blp.route("/tenants/<tenant_id>", methods=["GET"])
@requires_auth(roles=OPERATOR)
@operator_blp.response(200, BrandSchema)
def read_tenant(tenant_id):
    return _view(service.get_brand(_w(), tenant_id))


@operator_blp.route("/tenants/<tenant_id>", methods=["PATCH"])
@requires_auth(roles=OPERATOR)
@operator_blp.arguments(BrandPatchSchema)
@operator_blp.response(200, BrandSchema)
def update_tenant(body, tenant_id):
    return _view(service.update_brand(_w(), tenant_id, body, _actor()))


@operator_blp.route("/tenants/<tenant_id>/suspend", methods=["POST"])
@requires_auth(roles=OPERATOR)
@operator_blp.response(200, BrandSchema)
def suspend_tenant(tenant_id):
    """Suspend: every service refuses the brand's storefront traffic (403)."""
    return _view(service.suspend_brand(_w(), tenant_id, _actor()))


@operator_blp.route("/tenants/<tenant_id>/resume", methods=["POST"])
@requires_auth(roles=OPERATOR)
@operator_blp.response(200, BrandSchema)
def resume_tenant(tenant_id):
    return _view(service.resume_brand(_w(), tenant_id, _actor()))


@operator_blp.route("/tenants/<tenant_id>/provisioning")
@requires_auth(roles=OPERATOR)
@operator_blp.response(200, ProvisioningSchema)
def tenant_provisioning(tenant_id):
    """Which services answered, which are missing, and whether it timed out."""
    w = _w()
    brand = service.get_brand(w, tenant_id)
    state = provisioning.provisioning_state(
        w.db.session, brand, w.settings.provisioning_timeout_s
    )
    return state.as_dict()


@operator_blp.route("/tenants/<tenant_id>/staff", methods=["POST"])
@requires_auth(roles=OPERATOR)
@operator_blp.arguments(RegistrationSchema)
@operator_blp.response(201, AccountSchema)
def create_staff(body, tenant_id):
    """A staff account (role tenant_admin) of the brand."""
    w = _w()
    brand = service.get_brand(w, tenant_id)
    return identity.create_account(
        w,
        brand,
        body["email"],
        body["password"],
        ["tenant_admin"],
        body["name"],
        actor=_actor(),
    )


@operator_blp.route("/tenants/<tenant_id>/clients", methods=["POST"])
@requires_auth(roles=OPERATOR)
@operator_blp.arguments(ClientInSchema)
@operator_blp.response(201, ClientSchema)
def create_client(body, tenant_id):
    """A machine client (client_credentials) of the brand; secret shown once."""
    w = _w()
    brand = service.get_brand(w, tenant_id)
    client, secret = identity.create_client(
        w, brand, body["name"], body["roles"], _actor()
    )
    return {
        "client_id": client.client_id,
        "client_secret": secret,
        "name": client.name,
        "roles": client.roles,
    }


@operator_blp.route("/tenants/<tenant_id>/secrets")
@requires_auth(roles=OPERATOR)
@operator_blp.response(200, SecretSchema(many=True))
def list_tenant_secrets(tenant_id):
    w = _w()
    return brand_secrets.list_secrets(w, service.get_brand(w, tenant_id))


@operator_blp.route("/tenants/<tenant_id>/secrets/<name>", methods=["PUT"])
@requires_auth(roles=OPERATOR)
@operator_blp.arguments(SecretInSchema)
@operator_blp.response(200, SecretSchema)
def put_tenant_secret(body, tenant_id, name):
    w = _w()
    brand = service.get_brand(w, tenant_id)
    return brand_secrets.put_secret(w, brand, name, body["value"], _actor())


@operator_blp.route("/tenants/<tenant_id>/usage")
@requires_auth(roles=OPERATOR)
@operator_blp.arguments(UsageQuerySchema, location="query")
@operator_blp.response(200, UsageDaySchema(many=True))
def tenant_usage(query, tenant_id):
    """Orders, active baskets and API requests per day, for billing."""
    w = _w()
    brand = service.get_brand(w, tenant_id)
    return usage_report(w.db.session, brand.id, query["since"], query["until"])


@operator_blp.route("/operator/audit")
@requires_auth(roles=OPERATOR)
@operator_blp.arguments(AuditQuerySchema, location="query")
@operator_blp.response(200, AuditEntrySchema(many=True))
def platform_audit(query):
    """The whole audit trail, or one brand's with ``tenant_id``."""
    return audit_views.query(_w(), query)
