#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing. playwright-core drives it;
# no test ever downloads a browser of its own.
set -euo pipefail
CHROMIUM=${MAKEGOOD_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "Chromium is missing and this user cannot install it: run 'apt-get install chromium' as root, or set MAKEGOOD_CHROMIUM" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests…" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
"$CHROMIUM" --version >&2
