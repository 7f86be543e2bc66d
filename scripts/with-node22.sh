#!/usr/bin/env bash
# Runs a command with Node 22 (scripts/ensure-node22.sh, installed when missing) first on PATH,
# e.g. `bash scripts/with-node22.sh npm test`. npm itself stays the machine's; it runs on this node.
# nodedir points node-gyp at Node 22's own headers, should an addon ever build from source here
# (a user's npmrc may name another Node's, e.g. nodedir=/usr).
set -euo pipefail
BIN=$(bash "$(dirname "$0")/ensure-node22.sh")
export PATH="$BIN:$PATH"
export npm_config_nodedir
npm_config_nodedir=$(dirname "$BIN")
exec "$@"
