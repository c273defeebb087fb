#!/usr/bin/env bash
# Installs a Debian package when its command is missing: the tests and the demo start the
# real servers themselves on 127.0.0.1 with a free port.
#   scripts/install-debian-package.sh docker-registry docker-registry   # CNCF distribution registry
#   scripts/install-debian-package.sh redis-server redis-server         # the shared cache's tests
set -euo pipefail
command_name="$1"
package="$2"
if command -v "$command_name" >/dev/null 2>&1 || [ -x "/usr/bin/$command_name" ]; then
  exit 0
fi
echo "installing $command_name (Debian package $package)..." >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$package" >/dev/null
