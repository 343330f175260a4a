"""deploy/k8s/rollout.sh migrates before it rolls out, against a stand-in kubectl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.deploy.manifests import K8S, identity, rendered_overlay

FAKE = Path(__file__).resolve().parent / "fake_kubectl.py"


def roll_out(tmp_path: Path, job_state: str) -> tuple[int, list[dict]]:
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE} "$@"\n')
    kubectl.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    env = {
        **os.environ,
        "KUBECTL": str(kubectl),
        "FAKE_KUBECTL_LOG": str(log),
        "FAKE_JOB_STATE": job_state,
        "PYTHONPATH": str(K8S.parents[1]),
    }

    result = subprocess.run(
        ["bash", str(K8S / "rollout.sh"), "prod"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return result.returncode, calls


def test_the_migration_job_completes_before_any_process_is_applied(tmp_path):
    code, calls = roll_out(tmp_path, job_state="Complete")
    applied = [c["apply"] for c in calls if "apply" in c]
    everything = {identity(o) for o in rendered_overlay("prod")}

    assert code == 0
    setup, migration, processes = applied
    assert sorted(setup) == [
        next(name for name in everything if name.startswith("ConfigMap/")),
        "Namespace/telecart",
        "NetworkPolicy/default-deny-ingress",
        "NetworkPolicy/web-from-ingress",
        "ServiceAccount/telecart",
    ]
    assert migration == ["Job/telecart-migrate"]
    assert "Deployment/catalog-web" in processes
    assert set(setup) | set(migration) | set(processes) == everything
    wait = next(
        i for i, c in enumerate(calls) if c.get("call", [])[2:4] == ["get", "job"]
    )
    assert calls.index({"apply": migration}) < wait < calls.index({"apply": processes})
    print(f"\nrollout applies {len(setup)}, then the Job, then {len(processes)}")


def test_a_failed_migration_leaves_the_running_release_alone(tmp_path):
    code, calls = roll_out(tmp_path, job_state="Failed")
    applied = [c["apply"] for c in calls if "apply" in c]

    assert code == 1
    assert applied[-1] == ["Job/telecart-migrate"]
    assert not any("Deployment/catalog-web" in a for a in applied)
