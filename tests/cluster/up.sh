#!/usr/bin/env bash
# Starts a local Kubernetes control plane for end-to-end tests: embedded etcd + kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (one fake node, kwok-node-0, whose pods kwok
# marks Running/Ready and whose Job pods it completes). See README.md beside this script.
#
#   tests/cluster/up.sh RUN_DIR
#
# All state lives in RUN_DIR (created if missing; state of an earlier run there is wiped): certs,
# tokens, etcd data, logs/, pids. Waits until /readyz is ok, the default namespace and its default
# ServiceAccount exist and kwok-node-0 is Ready, then prints one line on stdout:
#   KUBECONFIG=RUN_DIR/kubeconfig
# Everything else goes to stderr. Stop it with tests/cluster/down.sh RUN_DIR.
#
# Environment:
#   CHARTSMITH_CLUSTER_BIN      bin dir with the binaries (default: scripts/install-cluster.sh's output,
#                               which builds them on first use, ~10 min)
#   CHARTSMITH_CLUSTER_TIMEOUT  seconds to wait for readiness (default 120)
set -euo pipefail

log() { echo "cluster-up: $*" >&2; }
die() { log "$*"; exit 1; }

[[ $# -eq 1 && -n "$1" ]] || die "usage: $0 RUN_DIR"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
mkdir -p "$1"
run="$(cd "$1" && pwd)"
timeout="${CHARTSMITH_CLUSTER_TIMEOUT:-120}"

command -v curl >/dev/null || die "curl is required"

# Refuse to start over a plane that is still running in RUN_DIR.
if [[ -s "$run/pids" ]]; then
  while read -r pid; do
    if [[ -r "/proc/$pid/cmdline" ]] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$run/"; then
      die "a control plane is already running in $run (pid $pid); stop it with $here/down.sh $run"
    fi
  done <"$run/pids"
fi

bin="${CHARTSMITH_CLUSTER_BIN:-$("$repo/scripts/install-cluster.sh")}"
for b in apiserver kube-controller-manager kube-scheduler kwok; do
  [[ -x "$bin/$b" ]] || die "$bin/$b is missing (run scripts/install-cluster.sh)"
done

rm -rf "$run/etcd" "$run/certs" "$run/logs" "$run/kwok-home" "$run"/*.pid "$run/pids" "$run/pids.stopped" \
  "$run/tokens.csv" "$run/sa.key" "$run/ca.crt" "$run"/*.kubeconfig "$run/kubeconfig" "$run/token" "$run/env"
mkdir -p "$run/etcd" "$run/certs" "$run/logs" "$run/kwok-home"
chmod 700 "$run/etcd"
: >"$run/pids"
# Whatever goes wrong from here on (or an interrupt), stop what was started.
trap '[[ -n "${started_ok:-}" ]] || "$here/down.sh" "$run" >&2 || true' EXIT
trap 'exit 130' INT TERM HUP

new_token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# A port in 20000-32767 (below the kernel's ephemeral range) that nothing listens on. Two runs can
# still race for one; the apiserver then fails to bind and the whole start is retried.
used_ports=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12768))
    [[ "$used_ports" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports+="$p "
      echo "$p"
      return
    fi
  done
}

# start NAME CMD... : runs CMD detached (own session, no terminal, stdin from /dev/null), logs to
# logs/NAME.log, records its pid in NAME.pid and in pids.
start() {
  local name="$1"; shift
  rm -f "$run/$name.pid"
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$run/$name.pid" "$@" </dev/null >"$run/logs/$name.log" 2>&1 &
  local i
  for ((i = 0; i < 100; i++)); do [[ -s "$run/$name.pid" ]] && break; sleep 0.05; done
  [[ -s "$run/$name.pid" ]] || die "$name did not start"
  cat "$run/$name.pid" >>"$run/pids"
}

alive() { local pid; pid="$(cat "$run/$1.pid")"; [[ -d "/proc/$pid" ]] && ! grep -q '^[^ ]* ([^)]*) Z' "/proc/$pid/stat"; }

fail() {
  log "$*"
  local f
  for f in "$run"/logs/*.log; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of $f" >&2
    tail -n 25 "$f" >&2
  done
  exit 1
}

deadline=$((SECONDS + timeout))
# api PATH [CURL-ARGS...]: a request as the admin user.
api() { local p="$1"; shift; curl -sS --max-time 5 -A chartsmith-cluster-up --cacert "$run/ca.crt" -H "Authorization: Bearer $admin_token" "$@" "$server$p"; }

# kubeconfig NAME USER TOKEN [CA-DATA]: a kubeconfig for USER; with CA-DATA embedded, else by file.
kubeconfig() {
  local ca_line="certificate-authority: $run/ca.crt"
  [[ $# -ge 4 ]] && ca_line="certificate-authority-data: $4"
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: chartsmith-test
  cluster:
    server: $server
    $ca_line
users:
- name: $2
  user:
    token: $3
contexts:
- name: chartsmith-test
  context:
    cluster: chartsmith-test
    user: $2
    namespace: default
current-context: chartsmith-test
EOF
}

admin_token="$(new_token)"
kcm_token="$(new_token)" sched_token="$(new_token)" kwok_token="$(new_token)"
cat >"$run/tokens.csv" <<EOF
$admin_token,chartsmith-admin,chartsmith-admin,"system:masters"
$kcm_token,system:kube-controller-manager,system:kube-controller-manager,"system:masters"
$sched_token,system:kube-scheduler,system:kube-scheduler,"system:masters"
$kwok_token,system:kwok,system:kwok,"system:masters"
EOF
chmod 600 "$run/tokens.csv"
printf '%s\n' "$admin_token" >"$run/token"
chmod 600 "$run/token"

# --- etcd + kube-apiserver (retried with other ports if one was taken meanwhile)
t0=$SECONDS
for attempt in 1 2 3; do
  etcd_port="$(free_port)" peer_port="$(free_port)" api_port="$(free_port)"
  server="https://127.0.0.1:$api_port"
  rm -rf "$run/etcd" "$run/certs" && mkdir -p "$run/etcd" "$run/certs" && chmod 700 "$run/etcd"
  start apiserver "$bin/apiserver" \
    --etcd-dir="$run/etcd" --etcd-client-port="$etcd_port" --etcd-peer-port="$peer_port" --sa-key="$run/sa.key" --etcd-log-level=error -- \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --cert-dir="$run/certs" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --token-auth-file="$run/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$run/sa.key" \
    --service-account-signing-key-file="$run/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --service-node-port-range=30000-32767 \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --profiling=false
  ready=""
  while ((SECONDS < deadline)); do
    if ! alive apiserver; then break; fi
    if [[ -s "$run/certs/apiserver.crt" ]] &&
      [[ "$(curl -sk --max-time 2 -H "Authorization: Bearer $admin_token" "$server/readyz" 2>/dev/null)" == ok ]]; then
      ready=1
      break
    fi
    sleep 0.2
  done
  [[ -n "$ready" ]] && break
  if ! alive apiserver && grep -q 'address already in use' "$run/logs/apiserver.log" && ((attempt < 3)); then
    log "a port was taken, retrying with other ports"
    mv "$run/logs/apiserver.log" "$run/logs/apiserver.attempt$attempt.log"
    : >"$run/pids"
    continue
  fi
  fail "kube-apiserver did not become ready (see $run/logs/apiserver.log)"
done
log "kube-apiserver ready on $server after $((SECONDS - t0))s"

# The self-signed serving cert file holds the leaf then its CA; the CA is the last PEM block.
awk '/-----BEGIN CERTIFICATE-----/ { buf = "" } { buf = buf $0 "\n" } /-----END CERTIFICATE-----/ { last = buf }
     END { printf "%s", last }' "$run/certs/apiserver.crt" >"$run/ca.crt"
[[ "$(api /readyz)" == ok ]] || fail "cannot reach $server with the CA in $run/ca.crt"

kubeconfig kube-controller-manager system:kube-controller-manager "$kcm_token" >"$run/kube-controller-manager.kubeconfig"
kubeconfig kube-scheduler system:kube-scheduler "$sched_token" >"$run/kube-scheduler.kubeconfig"
kubeconfig kwok system:kwok "$kwok_token" >"$run/kwok.kubeconfig"

# --- controllers, scheduler, kwok
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$run/kube-controller-manager.kubeconfig" \
  --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
  --service-account-private-key-file="$run/sa.key" \
  --root-ca-file="$run/ca.crt" \
  --cluster-name=chartsmith-test
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig="$run/kube-scheduler.kubeconfig" \
  --leader-elect=false --bind-address=127.0.0.1 --secure-port=0
# HOME is the run dir's so that a ~/.kwok/kwok.yaml of the user's cannot change its behaviour.
start kwok env HOME="$run/kwok-home" "$bin/kwok" \
  --kubeconfig="$run/kwok.kubeconfig" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40

# --- the fake node
node='{"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node-0",
 "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
 "labels":{"type":"kwok","kubernetes.io/hostname":"kwok-node-0","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64"}},
 "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110","ephemeral-storage":"1Ti"},
           "capacity":{"cpu":"32","memory":"256Gi","pods":"110","ephemeral-storage":"1Ti"}}}'
out="$(api /api/v1/nodes -X POST -H 'Content-Type: application/json' --data-binary "$node")" \
  || fail "cannot create the kwok node: $out"
[[ "$out" == *'"kind":"Node"'* ]] || fail "cannot create the kwok node: $out"

# --- wait for the rest
check() {
  local j
  for c in kube-controller-manager kube-scheduler kwok; do alive "$c" || fail "$c exited (see $run/logs/$c.log)"; done
  j="$(api /api/v1/namespaces/default/serviceaccounts/default 2>/dev/null)" || return 1
  [[ "$j" == *'"kind":"ServiceAccount"'* ]] || return 1
  j="$(api /api/v1/namespaces/default/configmaps/kube-root-ca.crt 2>/dev/null)" || return 1
  [[ "$j" == *'"kind":"ConfigMap"'* ]] || return 1
  j="$(api /api/v1/nodes/kwok-node-0 2>/dev/null)" || return 1
  [[ "$j" == *'"type":"Ready","status":"True"'* && "$j" != *'node.kubernetes.io/not-ready'* ]] || return 1
}
until check; do
  ((SECONDS < deadline)) || fail "the control plane was not ready after ${timeout}s"
  sleep 0.3
done

kubeconfig chartsmith-admin chartsmith-admin "$admin_token" "$(base64 -w0 "$run/ca.crt")" >"$run/kubeconfig"
chmod 600 "$run/kubeconfig"
cat >"$run/env" <<EOF
KUBECONFIG=$run/kubeconfig
CHARTSMITH_CLUSTER_SERVER=$server
CHARTSMITH_CLUSTER_TOKEN_FILE=$run/token
CHARTSMITH_CLUSTER_CA_FILE=$run/ca.crt
EOF
started_ok=1
log "control plane ready in $((SECONDS - t0))s: $server (logs in $run/logs, stop with $here/down.sh $run)"
echo "KUBECONFIG=$run/kubeconfig"
