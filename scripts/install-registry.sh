#!/usr/bin/env bash
# Makes sure an OCI registry binary for the registry tests is installed: Debian's
# `docker-registry` (the CNCF distribution registry 2.8). Prints its path. The tests start their
# own instances on 127.0.0.1 with temporary storage; nothing is started here.
set -euo pipefail
if [[ -n "${CHARTSMITH_TEST_REGISTRY:-}" && -x "${CHARTSMITH_TEST_REGISTRY}" ]]; then
  echo "$CHARTSMITH_TEST_REGISTRY"
  exit 0
fi
if ! command -v docker-registry >/dev/null 2>&1; then
  echo "install-registry: installing Debian's docker-registry" >&2
  apt_get() {
    if [[ "$(id -u)" == 0 ]]; then apt-get "$@"; else sudo -n apt-get "$@"; fi
  }
  export DEBIAN_FRONTEND=noninteractive
  if ! apt_get install -y --no-install-recommends docker-registry >&2; then
    apt_get update >&2
    apt_get install -y --no-install-recommends docker-registry >&2
  fi
fi
command -v docker-registry
