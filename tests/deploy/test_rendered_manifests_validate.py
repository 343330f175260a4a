"""Every overlay renders and validates offline; a broken manifest is caught."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
import yaml

from tests.deploy.manifests import (
    K8S,
    KUBERNETES_VERSIONS,
    OVERLAYS,
    by_kind,
    render,
    rendered_overlay,
    validate,
)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_validates_against_the_kubernetes_schemas(overlay):
    objects = rendered_overlay(overlay)

    for version in KUBERNETES_VERSIONS:
        outcome = validate(objects, version)

        print(
            f"\n{overlay} @ Kubernetes {version}: {outcome.total} of "
            f"{len(objects)} objects valid "
            f"({', '.join(f'{n} by {s}' for s, n in outcome.passed.items())})"
        )
        assert outcome.errors == []
        assert outcome.total == len(objects)

    kinds = Counter(obj["kind"] for obj in objects)
    print(f"{overlay} kinds: {dict(sorted(kinds.items()))}")


BROKEN = {
    "a string where an integer belongs": (
        {"spec": {"replicas": "two"}},
        "spec.replicas: 'two' is not of type 'integer'",
    ),
    "a field Kubernetes does not know (strict)": (
        {"spec": {"template": {"spec": {"restartPolicyy": "Always"}}}},
        "Additional properties are not allowed ('restartPolicyy'",
    ),
}


@pytest.mark.parametrize("defect", BROKEN)
def test_a_broken_deployment_makes_the_validation_fail(defect):
    deployment = by_kind(rendered_overlay("dev"), "Deployment")["catalog-web"]
    change, expected = BROKEN[defect]
    _merge(deployment, change)

    outcome = validate([deployment], KUBERNETES_VERSIONS[-1])

    print(f"\n{defect}: {outcome.errors}")
    assert outcome.total == 0
    assert len(outcome.errors) == 1
    assert outcome.errors[0].startswith("Deployment/catalog-web: ")
    assert expected in outcome.errors[0]


def test_a_deployment_missing_its_selector_fails_validation():
    deployment = by_kind(rendered_overlay("dev"), "Deployment")["order-web"]
    del deployment["spec"]["selector"]

    outcome = validate([deployment], KUBERNETES_VERSIONS[-1])

    assert outcome.errors == [
        "Deployment/order-web: spec: 'selector' is a required property"
    ]


def test_an_http_route_with_a_string_port_fails_its_own_schema():
    route = next(o for o in rendered_overlay("prod") if o["kind"] == "HTTPRoute")
    route["spec"]["rules"][1]["backendRefs"][0]["port"] = "80"

    outcome = validate([route], KUBERNETES_VERSIONS[-1])

    assert outcome.errors == [
        "HTTPRoute/telecart: spec.rules.1.backendRefs.0.port: "
        "'80' is not of type 'integer'"
    ]


def test_an_http_route_backend_without_a_port_fails_its_own_schema():
    route = next(o for o in rendered_overlay("prod") if o["kind"] == "HTTPRoute")
    del route["spec"]["rules"][0]["backendRefs"][0]["port"]

    outcome = validate([route], KUBERNETES_VERSIONS[-1])

    assert len(outcome.errors) == 1
    assert "'port' is a required property" in outcome.errors[0]


def test_a_kind_without_any_schema_is_an_error_not_a_pass():
    unknown = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
    }

    outcome = validate([unknown], KUBERNETES_VERSIONS[-1])

    assert outcome.total == 0
    assert outcome.errors == ["Widget/w: no schema for ('example.com/v1', 'Widget')"]


def test_a_broken_patch_in_an_overlay_fails_the_whole_pipeline(tmp_path):
    """Render a copy of the tree whose dev overlay sets a bad memory limit."""
    tree = tmp_path / "k8s"
    shutil.copytree(K8S, tree, ignore=shutil.ignore_patterns("__pycache__"))
    overlay = tree / "overlays" / "dev"
    (overlay / "broken.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: basket-web\n"
        "spec:\n  template:\n    spec:\n      terminationGracePeriodSeconds: soon\n"
    )
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    kustomization["patches"].append({"path": "broken.yaml"})
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))

    outcome = validate(render(overlay), KUBERNETES_VERSIONS[-1])

    print(f"\nbroken overlay: {outcome.total} valid, errors: {outcome.errors}")
    assert outcome.errors == [
        "Deployment/basket-web: spec.template.spec.terminationGracePeriodSeconds: "
        "'soon' is not of type 'integer', 'null'"
    ]


def _merge(target: dict, change: dict) -> None:
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
