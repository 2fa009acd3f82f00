#!/usr/bin/env bash
# The UI tests' accessibility checker: axe-core, pinned, from npm with `npm pack` (no CDN, no
# node build), checked against its sha256 and extracted to .cache/axe-core-<version>/axe.min.js
# (ignored: never committed). Idempotent: a run that finds the file in place does nothing.
# htmx, which the UI serves at run time, is committed instead (backend/src/slo_scout/ui/static,
# its version and sha256 in docs/ui.md): the server must never need the network.
set -euo pipefail

version="4.14.1"
sha256="e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745"  # axe-core-4.14.1.tgz
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache"
target="$cache/axe-core-$version"

[[ -s "$target/axe.min.js" ]] && exit 0
mkdir -p "$cache"
[[ -f "$cache/.gitignore" ]] || printf '*\n' > "$cache/.gitignore"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$version" >/dev/null)
echo "$sha256  $work/axe-core-$version.tgz" | sha256sum --check --quiet
tar -xzf "$work/axe-core-$version.tgz" -C "$work" package/axe.min.js
mkdir -p "$target"
mv "$work/package/axe.min.js" "$target/axe.min.js"
