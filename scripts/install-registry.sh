#!/usr/bin/env bash
# Installs the CNCF distribution registry (Debian package docker-registry) when it is missing.
# The tests and the demo start it themselves on 127.0.0.1 with a free port.
set -euo pipefail
if command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ]; then
  exit 0
fi
echo "installing the distribution registry (Debian package docker-registry)..." >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
