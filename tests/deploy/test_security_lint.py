"""checkov lints the rendered overlays and the Dockerfile for security settings.

checkov is heavy and pins packaging and python-dateutil below what Telecart
uses, so it lives in a virtualenv of its own (deploy/README.md); the test finds
it through $CHECKOV, the PATH, ``.venv-deploy/`` or this interpreter's bin/,
and skips with the reason when it is nowhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.deploy.manifests import OVERLAYS, ROOT, rendered_overlay
from tests.support.services import missing_tool

# Findings accepted on purpose; each says why. Anything else fails the test.
ACCEPTED = {
    "CKV_K8S_35": "configuration is environment variables only (twelve-factor): "
    "the app reads database URLs and keys from env, filled from the Secret",
    "CKV_DOCKER_2": "one image runs web processes, workers and jobs: a Docker "
    "HEALTHCHECK fits only the first; Kubernetes probes check the web pods",
    "CKV_K8S_43": "overlays name a version tag; the release pipeline pins the "
    "digest with `kustomize edit set image` when it deploys",
}


def find_checkov() -> str | None:
    candidates = [
        os.environ.get("CHECKOV"),
        shutil.which("checkov"),
        str(ROOT / ".venv-deploy" / "bin" / "checkov"),
        str(Path(sys.executable).parent / "checkov"),
    ]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def test_checkov_finds_nothing_but_the_accepted_findings(tmp_path):
    checkov = find_checkov()
    if checkov is None:
        missing_tool(
            "checkov",
            "python3 -m venv .venv-deploy && .venv-deploy/bin/pip install checkov",
        )
    files = []
    for overlay in OVERLAYS:
        path = tmp_path / f"{overlay}.yaml"
        path.write_text(yaml.safe_dump_all(rendered_overlay(overlay)))
        files += ["-f", str(path)]

    result = subprocess.run(
        [checkov, *files, "-f", str(ROOT / "deploy" / "Dockerfile")]
        + ["--framework", "kubernetes", "dockerfile", "--skip-download"]
        + ["--skip-check", ",".join(ACCEPTED), "--quiet", "--compact"]
        + ["--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]

    failed = []
    for report in reports:
        summary = report["summary"]
        print(
            f"\ncheckov {report['check_type']}: {summary['passed']} passed, "
            f"{summary['failed']} failed, {summary['skipped']} skipped on "
            f"{summary['resource_count']} resources"
        )
        failed += [
            f"{c['check_id']} {c['check_name']}: {c['resource']}"
            for c in report["results"]["failed_checks"]
        ]
    print(f"accepted on purpose: {', '.join(sorted(ACCEPTED))}")
    assert failed == []
    assert {r["check_type"] for r in reports} == {"kubernetes", "dockerfile"}
    assert result.returncode == 0, result.stderr[-2000:]
