#!/usr/bin/env bash
# The test command: installs the reference helm (cached outside the repo), an OCI registry binary
# (Debian's docker-registry, for the push/pull tests) and the test Kubernetes control plane
# (built from Go modules by scripts/install-cluster.sh, cached; started here in a temporary run
# directory and stopped by PID at the end), then runs every test.
# Outside CI a machine that cannot install the registry (no apt, not root) or build the control
# plane (no Go) still runs the tests; those suites then say SKIPPED. In CI (CI=true) they are
# required.
set -euo pipefail
cd "$(dirname "$0")/.."
HELM_BIN="$(scripts/install-helm.sh)"
export HELM_BIN
if registry="$(scripts/install-registry.sh)"; then
  export CHARTSMITH_TEST_REGISTRY="$registry"
elif [[ -n "${CI:-}" ]]; then
  echo "test.sh: the OCI registry could not be installed (required in CI)" >&2
  exit 1
else
  echo "test.sh: no OCI registry (scripts/install-registry.sh failed); the registry tests will be skipped" >&2
fi

run_dir="$(mktemp -d "${TMPDIR:-/tmp}/chartsmith-cluster.XXXXXX")"
stop_cluster() { tests/cluster/down.sh "$run_dir" || true; }
trap stop_cluster EXIT
if cluster_bin="$(scripts/install-cluster.sh)" \
  && env_line="$(CHARTSMITH_CLUSTER_BIN="$cluster_bin" tests/cluster/up.sh "$run_dir")"; then
  export CHARTSMITH_TEST_KUBECONFIG="${env_line#KUBECONFIG=}"
elif [[ -n "${CI:-}" ]]; then
  echo "test.sh: the test control plane could not be built or started (required in CI); logs in $run_dir/logs" >&2
  exit 1
else
  echo "test.sh: no test control plane (scripts/install-cluster.sh or tests/cluster/up.sh failed); the end-to-end tests will be skipped" >&2
fi

cargo test --workspace --locked --features chartsmith-cli/test-hooks "$@"
