#!/usr/bin/env sh
# Runs a command on Node 22, the Lambda runtime's major version (nodejs22.x): the node on PATH when it is 22 or
# newer; otherwise Node 22 installed once from the npm registry (the platform package node-<os>-<arch>@22, a plain
# binary with no install script) into .local/node22, put first on PATH for the command and everything it starts.
#   sh local/scripts/node22.sh vitest run        (what `npm test` runs)
#   sh local/scripts/node22.sh --print-path      prints the bin directory to put on PATH (for .ci/run)
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(major node)" -ge 22 ]; then
  bin="$(dirname "$(command -v node)")"
else
  pkg="node-$(node -p process.platform)-$(node -p process.arch)"
  bin="$root/.local/node22/node_modules/$pkg/bin"
  if [ "$(major "$bin/node")" -lt 22 ]; then
    echo "node $(node --version) is older than the Lambda runtime (nodejs22.x): installing $pkg@22 from the npm registry into .local/node22" >&2
    mkdir -p "$root/.local/node22"
    npm install --prefix "$root/.local/node22" --no-save --no-package-lock --no-audit --no-fund "$pkg@22" >&2
  fi
fi
if [ "${1:-}" = "--print-path" ]; then
  echo "$bin"
  exit 0
fi
PATH="$bin:$PATH"
export PATH
exec "$@"
