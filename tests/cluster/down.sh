#!/usr/bin/env bash
# Stops the control plane that tests/cluster/up.sh started in RUN_DIR:
#
#   tests/cluster/down.sh RUN_DIR
#
# Sends SIGTERM to every process listed in RUN_DIR/pids (and its process group), waits up to
# CHARTSMITH_CLUSTER_STOP_TIMEOUT seconds (default 10), then SIGKILLs whatever is left, and waits
# until nothing is left. A pid is only signalled while its command line still names RUN_DIR, so a
# recycled pid is never hit. Safe to run twice, or when nothing is running. Leaves RUN_DIR (logs,
# etcd data) in place.
set -euo pipefail

[[ $# -eq 1 && -n "$1" ]] || { echo "usage: $0 RUN_DIR" >&2; exit 1; }
[[ -d "$1" ]] || exit 0
run="$(cd "$1" && pwd)"
[[ -s "$run/pids" ]] || exit 0
grace="${CHARTSMITH_CLUSTER_STOP_TIMEOUT:-10}"

# ours PID: the process exists, is not a zombie, and its command line names RUN_DIR.
ours() {
  [[ -r "/proc/$1/cmdline" ]] || return 1
  grep -q '^[^ ]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null && return 1
  { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF -- "$run/"
}

mapfile -t all < <(grep -E '^[0-9]+$' "$run/pids" || true)

signal() {
  local sig="$1" pid left=()
  for pid in "${all[@]}"; do
    ours "$pid" || continue
    left+=("$pid")
    # Each was started with setsid, so it leads its own process group; signal the group too.
    kill "-$sig" -- "-$pid" 2>/dev/null || true
    kill "-$sig" "$pid" 2>/dev/null || true
  done
  all=("${left[@]}")
}

wait_gone() {
  local until=$((SECONDS + $1)) pid remaining
  while :; do
    remaining=()
    for pid in "${all[@]}"; do ours "$pid" && remaining+=("$pid"); done
    all=("${remaining[@]}")
    ((${#all[@]} == 0)) && return 0
    ((SECONDS >= until)) && return 1
    sleep 0.2
  done
}

signal TERM
((${#all[@]} == 0)) && { mv "$run/pids" "$run/pids.stopped"; exit 0; }
if ! wait_gone "$grace"; then
  echo "cluster-down: still running after ${grace}s, killing: ${all[*]}" >&2
  signal KILL
  wait_gone 10 || { echo "cluster-down: could not stop: ${all[*]}" >&2; exit 1; }
fi
mv "$run/pids" "$run/pids.stopped"
