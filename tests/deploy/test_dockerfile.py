"""deploy/Dockerfile: one multi-stage image, pinned bases, a non-root user.

Docker cannot build here; these checks read the file the way a reviewer does.
"""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatch

from setuptools import find_namespace_packages

from tests.deploy.manifests import ROOT

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments out."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_the_image_is_multi_stage_on_a_pinned_python_311_slim_base():
    bases = [args.split()[0] for keyword, args in instructions() if keyword == "FROM"]

    assert len(bases) >= 2
    for base in bases:
        name, _, tag = base.partition(":")
        assert name == "python"
        assert tag.startswith("3.11") and "slim" in tag
        assert tag != "latest" and "$" not in base


def test_the_final_stage_runs_as_a_numeric_non_root_user():
    users = [args for keyword, args in final_stage() if keyword == "USER"]

    assert users, "the final stage sets no USER, so it runs as root"
    user, _, group = users[-1].partition(":")
    assert user.isdigit() and int(user) >= 10000
    assert group.isdigit() and int(group) != 0


def test_the_command_chooses_the_service_and_metrics_have_a_writable_folder():
    stage = final_stage()
    entrypoint = [
        json.loads(args) for keyword, args in stage if keyword == "ENTRYPOINT"
    ]
    env = " ".join(args for keyword, args in stage if keyword == "ENV")
    run = " ".join(args for keyword, args in stage if keyword == "RUN")
    copies = [args for keyword, args in stage if keyword == "COPY"]

    assert entrypoint == [["telecart"]]
    assert "PROMETHEUS_MULTIPROC_DIR=/run/telecart/metrics" in env
    assert "mkdir -p /run/telecart/metrics" in run
    assert "chown -R 10001:10001 /run/telecart" in run
    assert copies == ["--from=build /opt/telecart /opt/telecart"]  # no sources


def test_nothing_is_fetched_with_add():
    assert not [args for keyword, args in instructions() if keyword == "ADD"]


def test_the_installed_package_carries_every_module_and_data_file():
    """The image runs `pip install .`, not an editable install: a folder or a
    data file that the packaging rules miss works in development and is absent
    in the container (migrations, brand packs)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    include = config["packages"]["find"]["include"]
    packages = set(find_namespace_packages(str(ROOT), include=include))
    data_patterns = config["package-data"]["*"]
    missed = []

    for top in ("shared", "services"):
        for path in (ROOT / top).rglob("*"):
            if "__pycache__" in path.parts or path.is_dir():
                continue
            package = ".".join(path.parent.relative_to(ROOT).parts)
            shipped = package in packages and (
                path.suffix == ".py"
                or any(fnmatch(path.name, pattern) for pattern in data_patterns)
            )
            if not shipped:
                missed.append(str(path.relative_to(ROOT)))

    print(f"\nimage package: {len(packages)} packages; missed: {missed}")
    assert missed == []
