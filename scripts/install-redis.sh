#!/usr/bin/env bash
# Installs redis-server (Debian package redis-server) when it is missing.
exec "$(dirname "$0")/install-debian-package.sh" redis-server redis-server
