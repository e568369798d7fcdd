# Shared by bench/compare.sh and bench/package.sh (sourced; not run on its own). Expects `root`,
# `runs`, `warmup` and `log` to be defined, and sets `chartsmith`, `helm` and `use_hyperfine`;
# `mean_ms` needs `work` (a temporary directory) when it runs.

# --- tools -----------------------------------------------------------------------------------------
log "building chartsmith (release)"
cargo build --release --quiet -p chartsmith-cli --manifest-path "$root/Cargo.toml" >&2
chartsmith="${CARGO_TARGET_DIR:-$root/target}/release/chartsmith"
[[ -x "$chartsmith" ]] || { log "no binary at $chartsmith"; exit 1; }
helm="$(bash "$root/scripts/install-helm.sh")"
log "chartsmith: $chartsmith ($("$chartsmith" --version 2>/dev/null || echo '?'))"
log "helm:       $helm ($("$helm" version --short))"

use_hyperfine=0
if [[ -z "${NO_HYPERFINE:-}" ]] && command -v hyperfine >/dev/null; then
  use_hyperfine=1
  log "timing with $(hyperfine --version), $runs runs after $warmup warm-up runs"
else
  log "timing with a bash loop (date +%s%N), $runs runs after $warmup warm-up runs"
fi

# --- timing ----------------------------------------------------------------------------------------
# Mean wall time of a command, in milliseconds. PREPARE (a command without shell syntax) runs
# before every run and is not timed.
mean_ms() {
  local prepare="$1"; shift
  if (( use_hyperfine )); then
    local csv="$work/hyperfine.csv"
    hyperfine --shell=none --style=none --warmup "$warmup" --runs "$runs" \
      --prepare "$prepare" --export-csv "$csv" -- "$*" >/dev/null 2>"$work/hyperfine.err" \
      || { cat "$work/hyperfine.err" >&2; return 1; }
    if grep -q 'outliers' "$work/hyperfine.err"; then
      log "hyperfine saw statistical outliers timing: ${1##*/} ${*:2}"
    fi
    # command,mean,stddev,median,user,system,min,max (seconds); the command may contain commas
    # only in paths, so take the mean from the end.
    tail -n 1 "$csv" | awk -F, '{ printf "%.2f", $(NF-6) * 1000 }'
  else
    local i start end total=0 overhead=0
    # The cost of the second `date` (a process of its own) is measured and subtracted.
    for (( i = 0; i < runs; i++ )); do
      start="$(date +%s%N)"
      end="$(date +%s%N)"
      overhead=$(( overhead + end - start ))
    done
    for (( i = 0; i < warmup; i++ )); do $prepare; "$@" >/dev/null; done
    for (( i = 0; i < runs; i++ )); do
      $prepare
      start="$(date +%s%N)"
      "$@" >/dev/null
      end="$(date +%s%N)"
      total=$(( total + end - start ))
    done
    awk -v t="$total" -v o="$overhead" -v n="$runs" 'BEGIN { printf "%.2f", (t - o) / n / 1e6 }'
  fi
}
