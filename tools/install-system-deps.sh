#!/bin/sh
# System packages IPC Explorer's tests and `npm start` use (Debian; run as root). Idempotent.
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="util-linux procps openssh-server openssh-client postgresql chromium ripgrep fonts-dejavu-core \
  libkrb5-dev pkg-config libx11-dev libxkbfile-dev libsecret-1-dev python3 make g++ strace gcc-multilib"
missing=""
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then echo "install-system-deps: need root to apt-get install:$missing" >&2; exit 1; fi
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends $missing >/dev/null
fi
echo "system packages: ok"
