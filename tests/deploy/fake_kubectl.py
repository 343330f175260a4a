"""A stand-in for kubectl and a cluster, for deploy/k8s/rollout.sh's tests.

``kustomize`` runs the real kubectl. ``apply -f FILE -l SELECTOR`` records the
objects the selector picks (the three selector forms rollout.sh uses), in
order, to $FAKE_KUBECTL_LOG; ``get job`` answers $FAKE_JOB_STATE; the rest is
recorded and succeeds.
"""

import json
import os
import re
import subprocess
import sys

import yaml


def selected(labels: dict, selector: str) -> bool:
    if match := re.fullmatch(r"(\S+) notin \((.*)\)", selector):
        return labels.get(match[1]) not in match[2].split(",")
    if "!=" in selector:
        key, value = selector.split("!=")
        return labels.get(key) != value
    key, value = selector.split("=")
    return labels.get(key) == value


def record(entry: dict) -> None:
    with open(os.environ["FAKE_KUBECTL_LOG"], "a") as log:
        log.write(json.dumps(entry) + "\n")


def main(args: list[str]) -> int:
    if args[0] == "kustomize":
        return subprocess.run(["/usr/bin/kubectl", *args]).returncode

    if args[0] == "apply":
        path, selector = args[args.index("-f") + 1], args[args.index("-l") + 1]
        with open(path) as rendered:
            objects = [o for o in yaml.safe_load_all(rendered) if o]
        picked = [
            f"{o['kind']}/{o['metadata']['name']}"
            for o in objects
            if selected(o["metadata"].get("labels", {}), selector)
        ]
        record({"apply": picked})
        return 0

    record({"call": args})
    if args[2:4] == ["get", "job"]:
        print(os.environ["FAKE_JOB_STATE"], end="")
    elif args[2:4] == ["get", "deployment"]:
        print("deployment.apps/catalog-web\ndeployment.apps/catalog-worker")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
