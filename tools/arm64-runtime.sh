#!/bin/sh
# A Node.js for linux-arm64 (Debian's nodejs:arm64 and its libraries, unpacked, not installed) in DEST, so the
# tests can run the cross-built binding and `ipcx` under qemu-user (qemu-aarch64 -L DEST DEST/usr/bin/node).
# Idempotent; needs root (it adds the arm64 architecture to dpkg so apt can download its packages).
#
#   sh tools/arm64-runtime.sh DEST
set -eu
dest=${1:?usage: arm64-runtime.sh DEST}
[ -x "$dest/usr/bin/node" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "arm64-runtime: not root: cannot add the arm64 architecture to dpkg; run as root: sh tools/arm64-runtime.sh $dest" >&2
  exit 1
fi
log=$(mktemp "${TMPDIR:-/tmp}/arm64-runtime.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/arm64-debs.XXXXXX")
trap 'rm -rf "$log" "$work"' EXIT
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
fi
echo "arm64 runtime: downloading Debian's nodejs:arm64 into $dest (apt-get download; nothing is installed)"
if ! apt-get update >"$log" 2>&1; then
  echo "arm64-runtime: \`apt-get update\` failed; last lines:" >&2; tail -n 15 "$log" >&2; exit 1
fi
pkgs="nodejs:arm64 libnode108:arm64 libbrotli1:arm64 libc-ares2:arm64 libc6:arm64 libicu72:arm64 libnghttp2-14:arm64
libssl3:arm64 libstdc++6:arm64 libgcc-s1:arm64 libuv1:arm64 zlib1g:arm64 node-acorn node-cjs-module-lexer node-undici"
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! (cd "$work" && apt-get download $pkgs >"$log" 2>&1); then
  echo "arm64-runtime: \`apt-get download\` failed; last lines:" >&2; tail -n 15 "$log" >&2; exit 1
fi
mkdir -p "$dest.tmp"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$dest.tmp"; done
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "arm64 runtime: $("$dest/usr/bin/node" --version 2>/dev/null || echo 'Node.js for arm64') in $dest"
