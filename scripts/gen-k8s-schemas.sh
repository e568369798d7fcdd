#!/usr/bin/env bash
# Regenerates schemas/kubernetes/v1.NN.json (the offline Kubernetes schemas used by `chartsmith lint`)
# from the k8s-openapi crate, one build of tools/gen-k8s-schemas per Kubernetes version (k8s-openapi
# enables one version per build), and records the generator input in schemas/kubernetes/SOURCE.
# The library test `kubernetes_schemas_are_fresh` fails when SOURCE no longer matches the generator.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
gen="$root/tools/gen-k8s-schemas"
out="$root/schemas/kubernetes"
versions=(34 35)
mkdir -p "$out"
for v in "${versions[@]}"; do
  cargo build --locked --release --quiet --manifest-path "$gen/Cargo.toml" --features "v1_$v"
  "$gen/target/release/gen-k8s-schemas" "$out/v1.$v.json"
done
lock_version() { # the version of package $1 in the generator's Cargo.lock
  awk -v n="$1" '$1=="name" && $3=="\""n"\"" {getline; gsub(/"/,"",$3); print $3; exit}' "$gen/Cargo.lock"
}
features="$(printf 'v1_%s ' "${versions[@]}")"
{
  echo "# Input of schemas/kubernetes/*.json; written by scripts/gen-k8s-schemas.sh, do not edit."
  echo "k8s-openapi = $(lock_version k8s-openapi)"
  echo "schemars = $(lock_version schemars)"
  echo "features = ${features% }"
  echo "generator-sha256 = $(cat "$gen/Cargo.toml" "$gen/build.rs" "$gen/src/main.rs" | sha256sum | cut -d' ' -f1)"
} > "$out/SOURCE"
cat "$out/SOURCE"
ls -l "$out"
