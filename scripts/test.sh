#!/usr/bin/env bash
# The test command: installs the reference helm (cached outside the repo) and an OCI registry
# binary (Debian's docker-registry, for the push/pull tests), then runs every test.
# Outside CI a machine that cannot install the registry (no apt, not root) still runs the tests;
# the registry tests then say SKIPPED. In CI (CI=true) they are required.
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
cargo test --workspace --locked --features chartsmith-cli/test-hooks "$@"
