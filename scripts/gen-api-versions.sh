#!/usr/bin/env bash
# Regenerates crates/chartsmith/src/engine/api_versions.txt: the API versions real Helm reports in
# `.Capabilities.APIVersions` when it renders without a cluster. chartsmith uses the same default.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
helm="$("$root/scripts/install-helm.sh")"
chart="$(mktemp -d)"
trap 'rm -rf "$chart"' EXIT
mkdir -p "$chart/templates"
printf 'apiVersion: v2\nname: cap\nversion: 0.1.0\n' > "$chart/Chart.yaml"
printf '{{- range .Capabilities.APIVersions }}\n# {{ . }}\n{{- end }}\n' > "$chart/templates/c.yaml"
"$helm" template x "$chart" | sed -n 's/^# \([^S].*\)$/\1/p' > "$root/crates/chartsmith/src/engine/api_versions.txt"
