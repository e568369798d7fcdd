#!/usr/bin/env bash
# The test command: installs the reference helm (cached outside the repo) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
HELM_BIN="$(scripts/install-helm.sh)"
export HELM_BIN
cargo test --workspace --locked "$@"
