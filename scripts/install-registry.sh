#!/usr/bin/env bash
# Installs the CNCF distribution registry (Debian package docker-registry) when it is missing.
exec "$(dirname "$0")/install-debian-package.sh" docker-registry docker-registry
