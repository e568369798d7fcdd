#!/usr/bin/env bash
# Times `chartsmith package` against `helm package` and `chartsmith repo index` against
# `helm repo index` as whole processes, on identical inputs:
#
#   - package of one seed chart (charts/mysql-chart), of the umbrella chart charts/two-tier with its
#     four subcharts vendored under charts/ (helm packages only vendored dependencies), and of all
#     five seed charts in one invocation (both tools accept several chart directories);
#   - repo index of a directory of 200 distinct chart archives: 40 chart names (copies of the four
#     leaf seed charts, renamed) × 5 versions each, packaged once with chartsmith. index.yaml is
#     deleted before every run, so each run is a full index.
#
# Usage: bash bench/package.sh            (RUNS=N timed runs, default 20; WARMUP=N, default 3;
#                                          ARCHIVES=N archives to index, a multiple of 20, default 200;
#                                          NO_HYPERFINE=1 forces the plain bash timing loop)
#
# Builds chartsmith in release mode, installs the reference helm (scripts/install-helm.sh), checks
# that both tools succeed on every case and agree on the archives written and on the index entries,
# then prints a table: case, mean wall time of each tool in ms, and the ratio helm/chartsmith (how
# many times faster chartsmith is). Uses hyperfine when installed, else a loop over `date +%s%N`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-20}"
warmup="${WARMUP:-3}"
archives="${ARCHIVES:-200}"

log() { echo "package-bench: $*" >&2; }

source "$root/bench/common.sh"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# helm keeps its settings and caches here, away from the user's.
export HELM_CONFIG_HOME="$work/helm/config" HELM_CACHE_HOME="$work/helm/cache"
export HELM_DATA_HOME="$work/helm/data"

# --- inputs ----------------------------------------------------------------------------------------
leaves=(flask-app-chart mysql-chart redis mongodb)
src="$work/charts"
mkdir -p "$src"
for chart in "${leaves[@]}" two-tier; do
  cp -R "$root/charts/$chart" "$src/$chart"
done
# Vendor two-tier's dependencies, as `dependency build` would: helm packages only what is in charts/.
mkdir -p "$src/two-tier/charts"
for chart in "${leaves[@]}"; do cp -R "$root/charts/$chart" "$src/two-tier/charts/$chart"; done
all_charts=()
for chart in "${leaves[@]}" two-tier; do all_charts+=("$src/$chart"); done

# The repository: ARCHIVES/5 renamed copies of the leaf charts, each packaged at 5 versions.
(( archives % 20 == 0 )) || { log "ARCHIVES must be a multiple of 20"; exit 1; }
repo="$work/repo"
mkdir -p "$repo" "$work/gen"
names=$(( archives / 5 ))
for (( i = 0; i < names; i++ )); do
  leaf="${leaves[i % 4]}"
  name="$(printf '%s-%03d' "$leaf" "$i")"
  cp -R "$root/charts/$leaf" "$work/gen/$name"
  sed -i "s/^name: .*/name: $name/" "$work/gen/$name/Chart.yaml"
  for v in 0.1.0 0.2.0 1.0.0-rc.1 1.0.0 1.1.3; do
    "$chartsmith" package "$work/gen/$name" -d "$repo" --version "$v" >/dev/null \
      || { log "cannot package $name $v"; exit 1; }
  done
done
rm -rf "$work/gen"
found="$(find "$repo" -name '*.tgz' | wc -l)"
[[ "$found" == "$archives" ]] || { log "expected $archives archives, found $found"; exit 1; }
log "repository: $archives archives ($(du -sh "$repo" | cut -f1)) in $repo"

# --- correctness first -----------------------------------------------------------------------------
# Each tool packages every chart into its own directory; both must write the same file names.
check_package() {
  local label="$1"; shift
  local cs_out="$work/check/cs-$label" helm_out="$work/check/helm-$label"
  mkdir -p "$cs_out" "$helm_out"
  "$chartsmith" package "$@" -d "$cs_out" >/dev/null || { log "$label: chartsmith package failed"; exit 1; }
  "$helm" package "$@" -d "$helm_out" >/dev/null || { log "$label: helm package failed"; exit 1; }
  local cs_list helm_list
  cs_list="$(cd "$cs_out" && ls)"
  helm_list="$(cd "$helm_out" && ls)"
  if [[ "$cs_list" != "$helm_list" || -z "$cs_list" ]]; then
    log "$label: chartsmith wrote [$cs_list], helm wrote [$helm_list]"; exit 1
  fi
  # Same files inside the archives (tar listing, sorted: the entry order may differ).
  local f
  for f in $cs_list; do
    if ! diff -q <(tar -tzf "$cs_out/$f" | sort) <(tar -tzf "$helm_out/$f" | sort) >/dev/null; then
      log "$label: $f holds other files than helm's archive"; exit 1
    fi
  done
  log "$label: both write $(echo "$cs_list" | tr '\n' ' ')with the same entries"
}
check_package mysql-chart "$src/mysql-chart"
check_package two-tier "$src/two-tier"
check_package all-five "${all_charts[@]}"

# Number of chart versions in an index (each has exactly one `digest:` line) and of chart names.
count_versions() { grep -c '^ *digest: ' "$1" || true; }
count_names() { awk '/^entries:/ { e = 1; next } /^[^ ]/ { e = 0 } e && /^  [^ -]/ { n++ } END { print n + 0 }' "$1"; }
"$chartsmith" repo index "$repo" || { log "chartsmith repo index failed"; exit 1; }
cs_versions="$(count_versions "$repo/index.yaml")"; cs_names="$(count_names "$repo/index.yaml")"
cp "$repo/index.yaml" "$work/index.chartsmith.yaml"
rm -f "$repo/index.yaml"
"$helm" repo index "$repo" || { log "helm repo index failed"; exit 1; }
helm_versions="$(count_versions "$repo/index.yaml")"; helm_names="$(count_names "$repo/index.yaml")"
rm -f "$repo/index.yaml"
if [[ "$cs_versions" != "$helm_versions" || "$cs_versions" != "$archives" \
      || "$cs_names" != "$helm_names" ]]; then
  log "repo index: chartsmith lists $cs_versions versions of $cs_names charts," \
      "helm $helm_versions of $helm_names"
  exit 1
fi
# The digests must agree too (sorted: the two tools may order keys differently).
if ! diff -q <(grep '^ *digest: ' "$work/index.chartsmith.yaml" | sort) \
             <("$helm" repo index "$repo" && grep '^ *digest: ' "$repo/index.yaml" | sort) >/dev/null; then
  log "repo index: the digests differ"; exit 1
fi
rm -f "$repo/index.yaml"
log "repo index: both list $cs_versions versions of $cs_names charts, with the same digests"


row() {
  local label="$1" cs_ms="$2" helm_ms="$3" ratio
  ratio="$(awk -v a="$helm_ms" -v b="$cs_ms" 'BEGIN { printf "%.1f×", a / b }')"
  printf '| %-28s | %16s | %12s | %20s |\n' "$label" "$cs_ms" "$helm_ms" "$ratio"
}

out="$work/out"
time_package() {
  local label="$1"; shift
  local cs_ms helm_ms
  cs_ms="$(mean_ms "rm -rf $out" "$chartsmith" package "$@" -d "$out")"
  helm_ms="$(mean_ms "rm -rf $out" "$helm" package "$@" -d "$out")"
  row "$label" "$cs_ms" "$helm_ms"
}

printf '\n| %-28s | %16s | %12s | %20s |\n' "case" "chartsmith (ms)" "helm (ms)" "helm / chartsmith"
printf '|%s|%s|%s|%s|\n' "------------------------------" "-----------------:" "-------------:" "---------------------:"
time_package "package mysql-chart" "$src/mysql-chart"
time_package "package two-tier (vendored)" "$src/two-tier"
time_package "package 5 charts at once" "${all_charts[@]}"
cs_ms="$(mean_ms "rm -f $repo/index.yaml" "$chartsmith" repo index "$repo")"
helm_ms="$(mean_ms "rm -f $repo/index.yaml" "$helm" repo index "$repo")"
row "repo index ($archives archives)" "$cs_ms" "$helm_ms"
