"""What an operator checks in the rendered overlays, beyond schema validity."""

from __future__ import annotations

import json

import pytest

from shared import SERVICES
from tests.deploy.manifests import OVERLAYS, by_kind, rendered_overlay

BRAND_DOMAINS = {"shop.northwind-mobile.example", "business.harbor-telecom.example"}
INGRESS_NAMESPACES = {
    "dev": {"traefik"},
    "prod": {"ingress-external", "gateway-system"},
}


def matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def pod_spec(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def workloads(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["kind"] in {"Deployment", "Job", "CronJob"}]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_web_and_a_worker_deployment(overlay):
    deployments = by_kind(rendered_overlay(overlay), "Deployment")

    for service in SERVICES:
        web = deployments[f"{service}-web"]["spec"]["template"]["spec"]
        worker = deployments[f"{service}-worker"]["spec"]["template"]["spec"]
        assert web["containers"][0]["args"][:2] == ["serve", service]
        assert worker["containers"][0]["args"] == ["worker", service]

    assert len(deployments) == 2 * len(SERVICES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_pods_probe_health_and_readiness_and_drain_before_stopping(overlay):
    deployments = by_kind(rendered_overlay(overlay), "Deployment")

    for service in SERVICES:
        spec = deployments[f"{service}-web"]["spec"]["template"]["spec"]
        web = spec["containers"][0]
        pause = int(web["lifecycle"]["preStop"]["exec"]["command"][1])

        assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
        # the pause, then gunicorn's 20 s graceful timeout, must fit the grace
        assert spec["terminationGracePeriodSeconds"] >= pause + 20


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_restricted_with_requests_limits_and_no_token(overlay):
    checked = 0

    for obj in workloads(rendered_overlay(overlay)):
        spec = pod_spec(obj)
        pod_security = spec["securityContext"]
        assert spec["automountServiceAccountToken"] is False, obj["metadata"]
        assert pod_security["runAsNonRoot"] is True
        assert pod_security["runAsUser"] >= 10000
        assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}

        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            security = container["securityContext"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"] == {"drop": ["ALL"]}
            assert set(container["resources"]) == {"requests", "limits"}
            assert "emptyDir" in volumes[mounts["/tmp"]]
            assert "emptyDir" in volumes[mounts["/run/telecart/metrics"]]
            assert ":" in container["image"] and not container["image"].endswith(
                ":latest"
            )
            checked += 1

    print(f"\n{overlay}: {checked} containers run restricted")
    assert checked == 2 * len(SERVICES) + 1 + 4


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_web_deployment_has_a_service_an_autoscaler_and_a_budget(overlay):
    objects = rendered_overlay(overlay)
    deployments = by_kind(objects, "Deployment")
    services = by_kind(objects, "Service")
    autoscalers = by_kind(objects, "HorizontalPodAutoscaler")
    budgets = by_kind(objects, "PodDisruptionBudget")

    for service in SERVICES:
        name = f"{service}-web"
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert "replicas" not in deployments[name]["spec"]  # the HPA owns it
        assert matches(services[name]["spec"]["selector"], pod_labels)
        assert autoscalers[name]["apiVersion"] == "autoscaling/v2"
        assert autoscalers[name]["spec"]["scaleTargetRef"]["name"] == name
        assert matches(budgets[name]["spec"]["selector"]["matchLabels"], pod_labels)
        # a selector must not reach another service's pods
        other = deployments["tenant-web" if service != "tenant" else "order-web"]
        other_labels = other["spec"]["template"]["metadata"]["labels"]
        assert not matches(services[name]["spec"]["selector"], other_labels)


def test_prod_scales_the_catalog_alone():
    autoscalers = by_kind(rendered_overlay("prod"), "HorizontalPodAutoscaler")
    bounds = {
        name: (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"])
        for name, hpa in autoscalers.items()
    }

    print(f"\nprod autoscaler bounds: {bounds}")
    assert bounds.pop("catalog-web") == (4, 24)
    assert set(bounds.values()) == {(2, 10)}


def test_secrets_are_referenced_never_shipped():
    for overlay in OVERLAYS:
        objects = rendered_overlay(overlay)
        assert not [o for o in objects if o["kind"] == "Secret"]

        refs = set()
        for obj in workloads(objects):
            for container in pod_spec(obj)["containers"]:
                for env in container.get("env", []):
                    assert "value" not in env, f"{env['name']} inline in {obj}"
                    ref = env["valueFrom"]["secretKeyRef"]
                    refs.add(ref["name"])

        assert refs == {"telecart-secrets"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_and_the_http_route_route_every_service_on_every_host(overlay):
    objects = rendered_overlay(overlay)
    domain = next(iter(by_kind(objects, "ConfigMap").values()))["data"][
        "PLATFORM_DOMAIN"
    ]
    hosts = {f"*.{domain}", *BRAND_DOMAINS}
    ingress = by_kind(objects, "Ingress")["telecart"]
    route = by_kind(objects, "HTTPRoute")["telecart"]
    services = by_kind(objects, "Service")
    expected = {(f"/api/{s}", f"{s}-web") for s in SERVICES}

    assert "annotations" not in ingress["metadata"]  # no controller dialect
    assert ingress["spec"]["ingressClassName"] not in {"", "set-by-overlay"}
    assert {rule["host"] for rule in ingress["spec"]["rules"]} == hosts
    assert {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]} == hosts
    for rule in ingress["spec"]["rules"]:
        routed = {
            (p["path"], p["backend"]["service"]["name"])
            for p in rule["http"]["paths"]
            if p["pathType"] == "Prefix"
            and p["backend"]["service"]["port"]["name"]
            == services[p["backend"]["service"]["name"]]["spec"]["ports"][0]["name"]
        }
        assert routed == expected

    assert set(route["spec"]["hostnames"]) == hosts
    assert {
        (r["matches"][0]["path"]["value"], r["backendRefs"][0]["name"])
        for r in route["spec"]["rules"]
        if r["backendRefs"][0]["port"]
        == services[r["backendRefs"][0]["name"]]["spec"]["ports"][0]["port"]
    } == expected

    print(
        f"\n{overlay}: {len(hosts)} hosts x {len(SERVICES)} path prefixes, class "
        f"{ingress['spec']['ingressClassName']}"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_ingress_namespace_reaches_web_pods_and_nothing_reaches_workers(
    overlay,
):
    objects = rendered_overlay(overlay)
    policies = by_kind(objects, "NetworkPolicy")
    deny, web = policies["default-deny-ingress"], policies["web-from-ingress"]
    deployments = by_kind(objects, "Deployment")

    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    sources = [peer for rule in web["spec"]["ingress"] for peer in rule["from"]]
    assert {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for peer in sources
    } == INGRESS_NAMESPACES[overlay]
    assert all(set(peer) == {"namespaceSelector"} for peer in sources)
    assert [r["ports"] for r in web["spec"]["ingress"]] == [
        [{"protocol": "TCP", "port": 8000}]
    ]

    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        opened = matches(web["spec"]["podSelector"]["matchLabels"], labels)
        assert opened == name.endswith("-web"), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_a_job_before_rollout_and_tasks_as_cronjobs(overlay):
    objects = rendered_overlay(overlay)
    job = by_kind(objects, "Job")["telecart-migrate"]
    cronjobs = by_kind(objects, "CronJob")
    commands = {
        name: pod_spec(c)["containers"][0]["args"] for name, c in cronjobs.items()
    }
    migrate = pod_spec(job)["containers"][0]

    assert migrate["args"] == ["migrate"]
    assert {e["name"] for e in migrate["env"]} >= {
        f"{s.upper()}_DATABASE_URL" for s in SERVICES
    }
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    assert commands == {
        "payments-bill": ["payments", "bill", "--date", "today"],
        "basket-abandon": ["basket", "abandon"],
        "catalog-sweep-reservations": ["catalog", "sweep-reservations"],
        "payments-reconcile": ["payments", "reconcile"],
    }
    assert {c["spec"]["concurrencyPolicy"] for c in cronjobs.values()} == {"Forbid"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_placeholder_of_the_base_survives_an_overlay(overlay):
    text = json.dumps(rendered_overlay(overlay))

    assert "set-by-overlay" not in text
    assert "platform-domain" not in text
