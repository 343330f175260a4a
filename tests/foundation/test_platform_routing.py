"""One process, six services, routed by the first path segment like the ingress."""

import dataclasses

import pytest
from werkzeug.test import Client

from services.migration import migrate_service
from services.platform import create_platform
from shared import SERVICES
from shared.config import load_settings


@pytest.fixture
def platform(monkeypatch, tmp_path):
    monkeypatch.setenv("TELECART_DATA_DIR", str(tmp_path))
    settings = dataclasses.replace(load_settings())
    for service in SERVICES:
        migrate_service(service, settings)
    return Client(create_platform(settings))


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_answers_under_its_own_prefix(platform, service):
    health = platform.get(f"/api/{service}/healthz")
    assert health.status_code == 200
    assert health.get_json()["service"] == service

    spec = platform.get(f"/api/{service}/openapi.json").get_json()
    assert spec["info"]["title"] == f"Telecart {service} service"


def test_a_path_outside_every_service_is_a_404_problem(platform):
    response = platform.get("/api/warehouse/items")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
