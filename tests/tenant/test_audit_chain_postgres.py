"""The audit trail is append-only and hash-chained; tampering is detected."""

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from services.cli import main
from tests.tenant.harness import (
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
    bearer,
    build_tenant_app,
    create_active_brand,
    operator_token,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def audited(postgres_url, monkeypatch):
    """A platform with a few audited writes, and the CLI pointed at it."""
    monkeypatch.setenv("TENANT_DATABASE_URL", postgres_url)
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    created = CliRunner().invoke(
        main,
        ["tenants", "create-operator", OPERATOR_EMAIL, "--password-stdin"],
        input=OPERATOR_PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    app, _ = build_tenant_app(postgres_url)
    ops = operator_token(app)
    brand = create_active_brand(app, ops, "harbor")
    client = app.test_client()
    for name in ("Harbor Business", "Harbor B2B", "Harbor Telecom"):
        client.patch(
            f"/api/tenant/tenants/{brand['id']}",
            json={"name": name},
            headers=bearer(ops),
        )
    client.post(f"/api/tenant/tenants/{brand['id']}/suspend", headers=bearer(ops))
    with app.app_context():
        app.extensions["telecart"].engine.dispose()
    return postgres_url


def verify() -> tuple[int, str]:
    result = CliRunner().invoke(main, ["tenants", "audit", "verify"])
    return result.exit_code, result.output


def as_superuser_bypassing_triggers(url: str, statement: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(statement))
    engine.dispose()


def test_an_untouched_chain_verifies(audited):
    code, output = verify()

    print("\n" + output)
    assert code == 0
    assert "audit chain intact: 6 entries" in output


def test_changing_one_audit_row_is_detected_by_the_verify_command(audited):
    as_superuser_bypassing_triggers(
        audited,
        "UPDATE audit_entries SET after = "
        "jsonb_set(after::jsonb, '{name}', '\"Evil Corp\"')::json WHERE seq = 4",
    )

    code, output = verify()

    print("\n" + output)
    assert code == 1
    assert "entry 4: content was changed" in output


def test_deleting_one_audit_row_is_detected_by_the_verify_command(audited):
    as_superuser_bypassing_triggers(audited, "DELETE FROM audit_entries WHERE seq = 3")

    code, output = verify()

    print("\n" + output)
    assert code == 1
    assert "entries 3..3 are missing (deleted)" in output
    assert "entry 4: prev_hash does not match entry 3" in output


def test_the_database_refuses_to_change_or_delete_audit_rows(audited):
    engine = create_engine(audited)

    for statement in (
        "UPDATE audit_entries SET actor = 'someone-else' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 1",
    ):
        with pytest.raises(DBAPIError) as refused, engine.begin() as connection:
            connection.execute(text(statement))
        assert "append-only" in str(refused.value)
    engine.dispose()
