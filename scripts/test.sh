#!/usr/bin/env bash
# The test command: installs the reference helm (cached outside the repo) and an OCI registry
# binary (Debian's docker-registry, for the push/pull tests), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
HELM_BIN="$(scripts/install-helm.sh)"
export HELM_BIN
CHARTSMITH_TEST_REGISTRY="$(scripts/install-registry.sh)"
export CHARTSMITH_TEST_REGISTRY
cargo test --workspace --locked "$@"
