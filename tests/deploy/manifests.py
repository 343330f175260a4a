"""Rendering the kustomize overlays and validating what they produce, offline.

Kubernetes' own kinds are checked by ``kubernetes-validate`` against the
OpenAPI schemas it bundles, strictly (an unknown field is an error). Custom
resources it has no schema for (the Gateway API's HTTPRoute) are checked
against the JSON schemas in ``tests/deploy/schemas/``; any other kind without
a schema is an error, so nothing passes unchecked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.support.services import services_required

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBECTL = "kubectl"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

# The oldest Kubernetes release the manifests support, and the newest known.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())

CUSTOM_SCHEMAS = {
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "httproute-v1.json",
}


def render(directory: Path) -> list[dict]:
    """``kubectl kustomize DIRECTORY`` as a list of objects."""
    kubectl = shutil.which(KUBECTL)
    if kubectl is None:
        missing_tool("kubectl (for `kubectl kustomize`)")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"kustomize failed: {result.stderr}"
    return [obj for obj in yaml.safe_load_all(result.stdout) if obj]


def missing_tool(what: str) -> None:
    """Skip, or fail under REQUIRE_SERVICES=1 (CI), as for a missing service."""
    reason = f"{what} is not installed"
    if services_required():
        pytest.fail(f"{reason}, and REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


@cache
def _rendered_overlay(name: str) -> tuple[str, ...]:
    return tuple(json.dumps(obj) for obj in render(K8S / "overlays" / name))


def rendered_overlay(name: str) -> list[dict]:
    """An overlay's objects, rendered once per test run (callers get copies)."""
    return [json.loads(text) for text in _rendered_overlay(name)]


def identity(obj: dict) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


@dataclass
class Validation:
    passed: dict[str, int] = field(default_factory=dict)  # by schema source
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.passed.values())


@cache
def _custom_schema(filename: str) -> dict:
    return json.loads((SCHEMAS / filename).read_text())


def validate(objects: list[dict], version: str) -> Validation:
    """Check every object; collect one line per failure, naming the object."""
    outcome = Validation()

    for obj in objects:
        key = (obj.get("apiVersion"), obj.get("kind"))
        try:
            if key in CUSTOM_SCHEMAS:
                jsonschema.validate(obj, _custom_schema(CUSTOM_SCHEMAS[key]))
                source = "own schema"
            else:
                kubernetes_validate.validate(obj, version, strict=True)
                source = "kubernetes-validate"
        except kubernetes_validate.SchemaNotFoundError:
            outcome.errors.append(f"{identity(obj)}: no schema for {key}")
        except jsonschema.ValidationError as exc:  # both libraries raise these
            where = ".".join(str(part) for part in exc.absolute_path) or "(root)"
            outcome.errors.append(f"{identity(obj)}: {where}: {exc.message}")
        else:
            outcome.passed[source] = outcome.passed.get(source, 0) + 1

    return outcome


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}
