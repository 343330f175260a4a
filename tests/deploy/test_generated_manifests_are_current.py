"""The committed base/generated/ is exactly what deploy/k8s/generate.py renders."""

from __future__ import annotations

import importlib.util

from shared import SERVICES
from tests.deploy.manifests import K8S


def load_generator():
    spec = importlib.util.spec_from_file_location("generate", K8S / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_manifests_match_the_generator():
    generate = load_generator()

    stale = generate.stale_files()

    assert stale == [], "run: python deploy/k8s/generate.py, then commit"


def test_the_generator_knows_the_same_six_services_as_the_platform():
    assert load_generator().SERVICES == SERVICES


def test_a_hand_edit_of_a_generated_file_is_reported_stale(tmp_path, monkeypatch):
    generate = load_generator()
    copy = tmp_path / "generated"
    copy.mkdir()
    for path in generate.GENERATED.glob("*.yaml"):
        (copy / path.name).write_text(path.read_text())
    monkeypatch.setattr(generate, "GENERATED", copy)
    assert generate.stale_files() == []

    edited = copy / "catalog.yaml"
    edited.write_text(edited.read_text().replace("minReplicas: 2", "minReplicas: 3"))

    assert generate.stale_files() == [edited]
    assert generate.main(["--check"]) == 1
