#!/usr/bin/env bash
# Times `install --wait` of the seed two-tier chart (values-kind.yaml) with chartsmith against helm
# on the same API server, as whole processes, and `upgrade --wait` of the already-ready release
# (the cost of a wait with nothing to wait for). helm installs a Go-template chart whose only
# template is chartsmith's rendering of two-tier, so both create the same objects.
#
# Usage: KUBECONFIG=... bash bench/install-wait.sh    (RUNS=N, default 5)
# A cluster is needed: tests/cluster/up.sh DIR starts the test control plane and prints its
# KUBECONFIG. Each run installs into a fresh namespace with a PersistentVolume for the MySQL claim
# (the test control plane has no StorageClass), and uninstalls afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-5}"
: "${KUBECONFIG:?set KUBECONFIG to the cluster to time against (tests/cluster/up.sh prints one)}"
log() { echo "install-wait: $*" >&2; }

cargo build --release --quiet -p chartsmith-cli --manifest-path "$root/Cargo.toml" >&2
cs="${CARGO_TARGET_DIR:-$root/target}/release/chartsmith"
helm="$(bash "$root/scripts/install-helm.sh")"
kubectl="$(dirname "$(dirname "$helm")")/kubectl/kubectl"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HELM_CACHE_HOME="$work/helm/cache" HELM_CONFIG_HOME="$work/helm/config" HELM_DATA_HOME="$work/helm/data"

# The Go-template twin: chartsmith's rendering of two-tier, as one static template.
mkdir -p "$work/twin/templates"
printf 'apiVersion: v2\nname: two-tier-static\nversion: 0.1.0\n' >"$work/twin/Chart.yaml"
"$cs" template demo "$root/charts/two-tier" -f "$root/charts/two-tier/values-kind.yaml" \
  --set flask-app-chart.service.nodePort=30079 >"$work/twin/templates/all.yaml"
if grep -q '{{' "$work/twin/templates/all.yaml"; then log "the rendering contains {{: cannot be a static Go template"; exit 1; fi

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

pv() { # a PersistentVolume bound ahead to the claim demo-mysql-data of namespace $1
  "$kubectl" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolume
metadata: {name: bench-$1}
spec:
  capacity: {storage: 8Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /tmp/bench-$1}
  claimRef: {namespace: $1, name: demo-mysql-data}
YAML
}

one() { # tool namespace -> "install_ms upgrade_ms"
  local tool="$1" ns="$2" t0 t1 t2
  "$kubectl" create namespace "$ns" >/dev/null
  pv "$ns"
  t0=$(now_ms)
  if [[ $tool == chartsmith ]]; then
    CHARTSMITH_DRIVER=secret "$cs" install demo "$root/charts/two-tier" -f "$root/charts/two-tier/values-kind.yaml" \
      --set flask-app-chart.service.nodePort=30079 -n "$ns" --wait --timeout 120s >/dev/null 2>&1
    t1=$(now_ms)
    CHARTSMITH_DRIVER=secret "$cs" upgrade demo "$root/charts/two-tier" -f "$root/charts/two-tier/values-kind.yaml" \
      --set flask-app-chart.service.nodePort=30079 -n "$ns" --wait --timeout 120s >/dev/null 2>&1
    t2=$(now_ms)
    CHARTSMITH_DRIVER=secret "$cs" uninstall demo -n "$ns" --wait >/dev/null 2>&1
  else
    "$helm" install demo "$work/twin" -n "$ns" --wait --timeout 120s >/dev/null
    t1=$(now_ms)
    "$helm" upgrade demo "$work/twin" -n "$ns" --wait --timeout 120s >/dev/null
    t2=$(now_ms)
    "$helm" uninstall demo -n "$ns" --wait >/dev/null
  fi
  "$kubectl" delete namespace "$ns" --wait=false >/dev/null
  "$kubectl" delete pv "bench-$ns" --wait=false >/dev/null
  echo "$((t1 - t0)) $((t2 - t1))"
}

for tool in chartsmith helm; do
  : >"$work/times-$tool"
  for i in $(seq "$runs"); do
    one "$tool" "bench-$tool-$i-$$" >>"$work/times-$tool"
    log "$tool run $i: $(tail -n 1 "$work/times-$tool") ms (install --wait, upgrade --wait)"
  done
done

printf '%-34s %12s %12s %8s\n' "work (median of $runs)" "chartsmith" "helm 4.1.4" "ratio"
for col in 1 2; do
  name=$([[ $col == 1 ]] && echo "install --wait two-tier" || echo "upgrade --wait, already ready")
  c=$(cut -d' ' -f$col "$work/times-chartsmith" | median)
  h=$(cut -d' ' -f$col "$work/times-helm" | median)
  printf '%-34s %10s ms %10s ms %7.1fx\n' "$name" "$c" "$h" "$(echo "scale=2; $h / $c" | bc)"
done
