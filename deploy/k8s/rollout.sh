#!/usr/bin/env bash
# Roll out a release with plain kubectl: migrate first, then the processes.
#
#   deploy/k8s/rollout.sh prod
#
# 1. the namespace, config, service account and network policies;
# 2. the migration Job `telecart-migrate` (`telecart migrate`: every service's
#    tables and every tenant schema to head), the previous release's Job
#    deleted first because a Job's pod template cannot change; wait for it;
#    a failed migration stops here and the running release is untouched;
# 3. everything else (Deployments, Services, HPAs, routing, CronJobs), then
#    wait for each Deployment's rollout.
# Argo CD users need none of this: the Job carries a PreSync hook annotation.
set -euo pipefail

overlay="${1:?usage: rollout.sh <overlay: dev|prod>}"
here="$(cd "$(dirname "$0")" && pwd)"
kubectl="${KUBECTL:-kubectl}"
timeout_s="${MIGRATION_TIMEOUT_S:-1800}"
namespace="$(awk '/^namespace:/ {print $2}' "$here/overlays/$overlay/kustomization.yaml")"
rendered="$(mktemp)"
trap 'rm -f "$rendered"' EXIT

"$kubectl" kustomize "$here/overlays/$overlay" >"$rendered"

echo "== 1/3 namespace, config and policies ($namespace)"
"$kubectl" apply -f "$rendered" \
  -l 'app.kubernetes.io/component notin (web,worker,cronjob,migration,routing)'

echo "== 2/3 migration"
"$kubectl" -n "$namespace" delete job telecart-migrate --ignore-not-found --wait
"$kubectl" apply -f "$rendered" -l app.kubernetes.io/component=migration
waited=0
while true; do
  state="$("$kubectl" -n "$namespace" get job telecart-migrate \
    -o jsonpath='{.status.conditions[?(@.status=="True")].type}')"
  case "$state" in
    *Complete*) echo "migration complete"; break ;;
    *Failed*)
      "$kubectl" -n "$namespace" logs job/telecart-migrate --tail=50 || true
      echo "migration failed: the running release is unchanged" >&2
      exit 1 ;;
  esac
  if (( waited >= timeout_s )); then
    echo "migration still running after ${timeout_s}s" >&2
    exit 1
  fi
  sleep 5
  waited=$((waited + 5))
done

echo "== 3/3 processes, routing and scheduled tasks"
"$kubectl" apply -f "$rendered" -l 'app.kubernetes.io/component!=migration'
for deployment in $("$kubectl" -n "$namespace" get deployment \
    -l app.kubernetes.io/part-of=telecart -o name); do
  "$kubectl" -n "$namespace" rollout status "$deployment" --timeout=10m
done
