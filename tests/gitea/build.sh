#!/usr/bin/env bash
# Builds the Gitea server the webhook tests push to, from its Go module at the version pinned in
# tests/gitea/pins (front-end assets are not built: the HTTP API, Git over HTTP and webhooks do not
# need them; templates and options are copied next to the binary).
#
# The binary lands in "$BRIDGE_GITEA_CACHE" (default: ${XDG_CACHE_HOME:-~/.cache}/jenkins-bridge/gitea)
# under a folder named after the hash of the pins file, so every clone on a machine shares it.
# tests/fixtures/gitea.py resolves the same folder. A Gitea of the pinned version already built into
# another folder of the cache (an older layout) is adopted instead of building again.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${BRIDGE_GITEA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jenkins-bridge/gitea}"
key="$(sha256sum < "$here/pins" | cut -c1-16)"
dest="$cache_root/$key"
pin() { awk -F= -v k="$1" '$1 == k { print $2; exit }' "$here/pins"; }
module="$(pin module)"
version="$(pin version)"
tags="$(pin tags)"

say() { echo "gitea-bin: $*"; }

if [[ -x "$dest/gitea" ]]; then
    say "Gitea ${version} up to date in $dest"
    exit 0
fi
mkdir -p "$cache_root"
exec 9>"$cache_root/.lock"
flock 9
if [[ -x "$dest/gitea" ]]; then
    say "Gitea ${version} up to date in $dest"
    exit 0
fi

# an earlier build of the same version (built with sqlite) in another folder of the cache
for other in "$cache_root"/*/gitea; do
    [[ -x "$other" && "$other" != "$dest/gitea" ]] || continue
    if "$other" --version 2>/dev/null | grep -q "gitea version ${version#v} "; then
        staging="$(mktemp -d "$cache_root/.adopt.XXXXXX")"
        cp -a "$(dirname "$other")/." "$staging/"
        mv "$staging" "$dest"
        say "adopted the Gitea ${version} built in $(dirname "$other")"
        exit 0
    fi
done

if ! command -v go >/dev/null 2>&1; then
    say "Go is not installed: install Go (gcc too: Gitea's SQLite driver needs cgo)" >&2
    exit 1
fi
say "building ${module}@${version} into $dest (about 3 minutes the first time; cached afterwards)"
start=$SECONDS
staging="$(mktemp -d "$cache_root/.build.XXXXXX")"
trap 'chmod -R u+w "$staging" 2>/dev/null; rm -rf "$staging"' EXIT
export GOFLAGS="${GOFLAGS:-} -mod=mod" GOMAXPROCS="${GOMAXPROCS:-2}"
src="$(go mod download -json "${module}@${version}" | awk -F'"' '/"Dir"/ { print $4 }')"
cp -r "$src" "$staging/src"
chmod -R u+w "$staging/src"
(
    cd "$staging/src"
    # go.mod's replace directives only hold inside the module: build there, not with `go install`
    CGO_ENABLED=1 go build -trimpath -tags "$tags" \
        -ldflags "-s -w -X 'main.Version=${version#v}' -X 'main.Tags=${tags}'" -o "$staging/out/gitea" .
)
cp -r "$staging/src/templates" "$staging/src/options" "$staging/out/"
mkdir -p "$staging/out/public"
mv "$staging/out" "$dest"
say "built Gitea ${version} in $((SECONDS - start))s"
