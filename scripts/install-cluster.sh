#!/usr/bin/env bash
# Builds the local Kubernetes control plane used by the end-to-end tests (tests/cluster/README.md):
# the embedded-etcd kube-apiserver wrapper (tests/cluster/apiserver), kube-controller-manager and
# kube-scheduler from k8s.io/kubernetes (version pinned by tests/cluster/go.mod + go.sum), and kwok.
#
# Everything is built from Go modules and cached outside the repository, under
# ${CHARTSMITH_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/chartsmith-tools}:
#   cluster/<key>/bin   the binaries; <key> hashes go.mod, go.sum, apiserver/main.go, the Go version
#                       and the build recipe, so a change to any of them builds anew
#   go/                 GOPATH, GOMODCACHE and GOCACHE, so a rebuild after a change is incremental
# A cold build takes ~15-20 minutes on 2 cores; when cached the script returns in well under a second.
#
# Prints the bin directory on stdout; all logs go to stderr. Needs Go >= 1.24 on PATH.
set -euo pipefail

log() { echo "install-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo/tests/cluster"
tools_dir="${CHARTSMITH_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/chartsmith-tools}"
kwok_version="v0.7.0"

command -v go >/dev/null 2>&1 \
  || die "go is required (Go >= 1.24 on PATH) to build the test control plane; see tests/cluster/README.md"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
go_version="$(go env GOVERSION)"
[[ "$go_version" =~ ^go1\.([0-9]+) ]] && (( BASH_REMATCH[1] >= 24 )) \
  || die "Go >= 1.24 is required, found ${go_version:-none} ($(command -v go))"

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$src/go.mod")"
[[ "$k8s_version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] \
  || die "cannot read the k8s.io/kubernetes version from $src/go.mod"
k8s_major="${BASH_REMATCH[1]}" k8s_minor="${BASH_REMATCH[2]}"

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$k8s_major -X $pkg.gitMinor=$k8s_minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
recipe="go=$go_version kwok=$kwok_version ldflags=$ldflags"

key="k8s-$k8s_version-$(cat "$src/go.mod" "$src/go.sum" "$src/apiserver/main.go" <(echo "$recipe") \
  | sha256sum | cut -c1-12)"
dest="$tools_dir/cluster/$key"
bin="$dest/bin"
binaries=(apiserver kube-controller-manager kube-scheduler kwok)

cached() {
  [[ -f "$dest/.complete" ]] || return 1
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}

if cached; then
  echo "$bin"
  exit 0
fi

mkdir -p "$tools_dir/cluster"
exec 9>"$tools_dir/cluster/.lock"
if ! flock -n 9; then
  log "waiting for another install-cluster.sh to finish"
  flock 9
fi
if cached; then  # built by whoever held the lock
  echo "$bin"
  exit 0
fi

export GOPATH="$tools_dir/go" GOMODCACHE="$tools_dir/go/pkg/mod" GOCACHE="$tools_dir/go/build-cache"
tmp="$tools_dir/cluster/.tmp-$key-$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"

start=$SECONDS
log "building kube-apiserver (+ embedded etcd), kube-controller-manager, kube-scheduler $k8s_version"
log "  into $bin (a cold build takes ~15-20 min on 2 cores; caches in $GOPATH)"
(cd "$src" && go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tmp/bin/" \
  ./apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler) >&2 \
  || die "go build failed (tests/cluster/go.mod and go.sum must be tidy: cd tests/cluster && go mod tidy)"
log "  done in $((SECONDS - start))s"

start=$SECONDS
log "building kwok $kwok_version"
(cd "$tmp" && GOBIN="$tmp/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$kwok_version") >&2 \
  || die "go install sigs.k8s.io/kwok/cmd/kwok@$kwok_version failed"
log "  done in $((SECONDS - start))s"

got="$("$tmp/bin/kube-scheduler" --version 2>&1)"
[[ "$got" == "Kubernetes $k8s_version" ]] || die "kube-scheduler --version says '$got', expected 'Kubernetes $k8s_version'"

printf '%s\n' "$recipe" > "$tmp/recipe"
rm -rf "$dest"
mv "$tmp" "$dest"
touch "$dest/.complete"
echo "$bin"
