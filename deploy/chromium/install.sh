#!/usr/bin/env bash
# Installs Chromium from Debian's packages when it is missing; the dashboard tests drive it
# headless. Idempotent; needs root (or sudo).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core > /dev/null
