#!/usr/bin/env bash
# Times `chartsmith upgrade --install` with the local release store, and `chartsmith lint`, against
# `chartsmith template`, as whole processes, on the two-tier seed chart with values-kind.yaml.
# Targets: upgrade under 2x of template (issue #6), lint within 3x of template (issue #4).
# Uses hyperfine when installed, else a bash loop. RUNS=N (default 20).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-20}"
cargo build --release --quiet -p chartsmith-cli --manifest-path "$root/Cargo.toml" >&2
cs="${CARGO_TARGET_DIR:-$root/target}/release/chartsmith"
state="$(mktemp -d)"
trap 'rm -rf "$state"' EXIT
args=(demo "$root/charts/two-tier" -f "$root/charts/two-tier/values-kind.yaml")
template_cmd="$cs template ${args[*]}"
upgrade_cmd="$cs upgrade --install --history-max 5 --state-dir $state ${args[*]}"
lint_cmd="$cs lint $root/charts/two-tier -f $root/charts/two-tier/values-kind.yaml --strict"
$upgrade_cmd >/dev/null   # revision 1; every timed run is then an upgrade

mean_ms() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$state/h.json" "$1" >/dev/null 2>&1
    python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["mean"]*1000))' "$state/h.json"
  else
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do $1 >/dev/null; done
    end=$(date +%s%N)
    echo "scale=2; ($end - $start) / $runs / 1000000" | bc
  fi
}
t=$(mean_ms "$template_cmd")
u=$(mean_ms "$upgrade_cmd")
l=$(mean_ms "$lint_cmd")
printf '| command | mean (ms) |\n|---|---:|\n| template | %s |\n| upgrade --install (local store) | %s |\n| lint --strict | %s |\n' "$t" "$u" "$l"
python3 -c "print('upgrade / template = %.2fx (target < 2x)' % ($u / $t))"
python3 -c "print('lint / template = %.2fx (target within 3x)' % ($l / $t))"
