#!/usr/bin/env bash
# Builds the real control-plane binaries the kube tests run (kube-apiserver, etcd, helm and, when the
# machine has none, kubectl) from the Go modules pinned in go.mod/go.sum.
#
# Binaries land in "$BRIDGE_K8S_CACHE" (default: ${XDG_CACHE_HOME:-~/.cache}/jenkins-bridge/k8s) under a
# folder named after the hash of go.mod+go.sum, so every clone on a machine shares them and they are rebuilt
# only when the pins change. tests/fixtures/kube_binaries.py resolves the same folder.
#
# With KUBEBUILDER_ASSETS set (the envtest convention: a folder holding etcd, kube-apiserver, kubectl) those
# binaries are used and only helm is built, if that folder has none.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${BRIDGE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jenkins-bridge/k8s}"
key="$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)"
dest="$cache_root/$key"
assets="${KUBEBUILDER_ASSETS:-}"

say() { echo "k8s-bin: $*"; }

kubectl_on_path_works() {
    command -v kubectl >/dev/null 2>&1 && kubectl version --client >/dev/null 2>&1
}

# Sets `wanted` to the Go packages whose binaries are neither built nor provided.
find_wanted() {
    wanted=()
    if [[ -n "$assets" ]]; then
        if [[ ! -x "$assets/kubectl" && ! -x "$dest/kubectl" ]] && ! kubectl_on_path_works; then
            wanted+=("k8s.io/kubernetes/cmd/kubectl")
        fi
        [[ -x "$assets/helm" || -x "$dest/helm" ]] || wanted+=("helm.sh/helm/v3/cmd/helm")
        return
    fi
    [[ -x "$dest/kube-apiserver" ]] || wanted+=("k8s.io/kubernetes/cmd/kube-apiserver")
    [[ -x "$dest/etcd" ]] || wanted+=("./cmd/etcd")
    [[ -x "$dest/helm" ]] || wanted+=("helm.sh/helm/v3/cmd/helm")
    if [[ ! -x "$dest/kubectl" ]] && ! kubectl_on_path_works; then
        wanted+=("k8s.io/kubernetes/cmd/kubectl")
    fi
}

if [[ -n "$assets" ]]; then
    for bin in etcd kube-apiserver; do
        if [[ ! -x "$assets/$bin" ]]; then
            say "KUBEBUILDER_ASSETS=$assets has no executable '$bin'" >&2
            exit 1
        fi
    done
    say "using etcd and kube-apiserver from KUBEBUILDER_ASSETS=$assets"
fi

declare -a wanted
find_wanted
if [[ ${#wanted[@]} -eq 0 ]]; then
    say "binaries up to date in $dest"
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    say "Go is not installed: install Go, or set KUBEBUILDER_ASSETS to a folder with etcd, kube-apiserver and kubectl" >&2
    exit 1
fi

# One build at a time per cache; a build that waited re-checks what is still missing.
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
if ! flock -n 9; then
    say "another build is running in $cache_root; waiting for it"
    flock 9
    find_wanted
    if [[ ${#wanted[@]} -eq 0 ]]; then
        say "binaries up to date in $dest"
        exit 0
    fi
fi

say "building ${wanted[*]} into $dest (about 15 minutes the first time on 2 cores; cached afterwards)"
start=$SECONDS
staging="$(mktemp -d "$cache_root/.build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
# Stamp the versions a release build would report (kube-apiserver's /version, `helm version`).
pinned() { awk -v m="$1" '$1 == m { print $2; exit }' "$here/go.mod"; }
kube_version="$(pinned k8s.io/kubernetes)"
kube_minor="$(echo "$kube_version" | cut -d. -f2)"
stamp="-X k8s.io/component-base/version.gitVersion=$kube_version"
stamp+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kube_minor"
stamp+=" -X k8s.io/component-base/version.gitTreeState=clean"
stamp+=" -X helm.sh/helm/v3/internal/version.version=$(pinned helm.sh/helm/v3)"
(
    cd "$here"
    CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod" GOMAXPROCS="${GOMAXPROCS:-2}" \
        go build -trimpath -ldflags="-s -w $stamp" -o "$staging/" "${wanted[@]}"
)
mkdir -p "$dest"
built=""
for bin in "$staging"/*; do
    built+="$(basename "$bin") "
    mv -f "$bin" "$dest/"
done
say "built ${built}in $((SECONDS - start))s"
