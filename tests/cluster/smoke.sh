#!/usr/bin/env bash
# Smoke test of the local control plane (README.md beside this script): starts it in a temporary
# RUN_DIR, checks with kubectl and helm what the end-to-end tests rely on, stops it and checks that
# no process is left.
#
#   tests/cluster/smoke.sh
#
# kubectl and helm come from scripts/install-helm.sh (cached), unless KUBECTL / HELM are set.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [[ -z "${HELM:-}" || -z "${KUBECTL:-}" ]]; then
  helm_bin="$("$repo/scripts/install-helm.sh")"
  HELM="${HELM:-$helm_bin}"
  KUBECTL="${KUBECTL:-$(dirname "$(dirname "$helm_bin")")/kubectl/kubectl}"
fi

work="$(mktemp -d)"
run="$work/run"
passed=0 failed=0
cleanup() { "$here/down.sh" "$run" || true; rm -rf "$work"; }
trap cleanup EXIT

ok() { echo "ok: $*"; passed=$((passed + 1)); }
not_ok() { echo "FAILED: $*"; failed=$((failed + 1)); }
check() { local what="$1"; shift; if "$@" >"$work/out" 2>&1; then ok "$what"; else not_ok "$what"; sed 's/^/    /' "$work/out"; fi; }

t0=$SECONDS
line="$("$here/up.sh" "$run")"
echo "up.sh printed: $line (after $((SECONDS - t0))s)"
[[ "$line" == "KUBECONFIG=$run/kubeconfig" ]] && ok "up.sh prints KUBECONFIG=RUN_DIR/kubeconfig" || not_ok "up.sh output: $line"
export KUBECONFIG="$run/kubeconfig"
k() { "$KUBECTL" "$@"; }

check "kubectl get nodes shows kwok-node-0 Ready" bash -c "'$KUBECTL' get nodes --no-headers | grep -E '^kwok-node-0 +Ready '"
check "server version is v1.34.3" bash -c "'$KUBECTL' version -o json | grep -A8 serverVersion | grep -q '\"gitVersion\": \"v1.34.3\"'"
check "context namespace is default" bash -c "[[ \$('$KUBECTL' config view --minify -o jsonpath='{..namespace}') == default ]]"

check "create a Deployment" k create deployment web --image=nginx:1.27 --replicas=3
check "Deployment rolls out (pods Running/Ready via kwok)" k rollout status deployment/web --timeout=90s
check "3 pods Running and Ready" bash -c "[[ \$('$KUBECTL' get pods -l app=web -o jsonpath='{range .items[*]}{.status.phase}/{.status.conditions[?(@.type==\"Ready\")].status} {end}') == 'Running/True Running/True Running/True ' ]]"

check "create a Job" k create job once --image=busybox:1.36 -- true
check "Job completes" k wait --for=condition=complete job/once --timeout=90s

svc() {
  cat <<EOF | k apply -f -
apiVersion: v1
kind: Service
metadata: {name: $1}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 80, nodePort: 30004}]
EOF
}
check "a NodePort Service on 30004" svc np-one
if svc np-two >"$work/out" 2>&1; then
  not_ok "a second Service on nodePort 30004 was accepted"
elif grep -q 'provided port is already allocated' "$work/out"; then
  ok "a second Service on nodePort 30004 is refused (port is already allocated)"
else
  not_ok "second Service failed for another reason: $(cat "$work/out")"
fi
check "ClusterIP Services get an IP from 10.96.0.0/16" bash -c "'$KUBECTL' get svc np-one -o jsonpath='{.spec.clusterIP}' | grep -q '^10\.96\.'"

pv() {
  cat <<EOF | k apply -f -
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-smoke}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  hostPath: {path: /tmp/pv-smoke}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-smoke}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  resources: {requests: {storage: 1Gi}}
EOF
}
check "create a PV and a PVC" pv
check "the PVC binds to the PV" k wait --for=jsonpath='{.status.phase}'=Bound pvc/claim-smoke --timeout=60s

check "helm create a Go-template chart" "$HELM" create "$work/demo-chart"
check "helm install --wait" "$HELM" install demo "$work/demo-chart" --wait --timeout 2m
check "helm list shows demo deployed" bash -c "'$HELM' list | grep -E '^demo\s.*\sdeployed\s'"
check "helm upgrade --wait (replicaCount=2)" "$HELM" upgrade demo "$work/demo-chart" --wait --timeout 2m --set replicaCount=2
check "helm uninstall --wait" "$HELM" uninstall demo --wait --timeout 2m

k get pods -A -o wide >"$work/pods.txt" 2>&1 || true
"$here/down.sh" "$run"
left=""
for f in "$run"/*.pid; do
  pid="$(cat "$f")"
  # A zombie (exited, not yet reaped by init) holds nothing; only a live process counts.
  stat="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
  [[ -n "$stat" && "$stat" != Z* ]] && left+=" $pid($(basename "$f" .pid):$stat)"
done
[[ -z "$left" ]] && ok "down.sh leaves no process running" || not_ok "still running after down.sh:$left"
if pgrep -f -- "$run/" >/dev/null; then not_ok "a process naming $run is left: $(pgrep -af -- "$run/")"; fi

echo "$passed passed, $failed failed"
((failed == 0))
