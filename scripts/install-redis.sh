#!/usr/bin/env bash
# Installs redis-server (Debian package redis-server) when it is missing: the shared-cache
# tests and the fleet benchmark start it themselves on 127.0.0.1 with a free port.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; then
  exit 0
fi
echo "installing redis-server (Debian package redis-server)..." >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
