#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages when no server binaries are present.
# Idempotent; needs root (or sudo). The project's own cluster is then created by `mixflow db up`.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib > /dev/null
