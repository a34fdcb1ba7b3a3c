#!/bin/sh
# The linux-arm64 toolchain and runtime, unpacked from Debian's packages into DEST (nothing is installed):
#   - the aarch64 cross compiler (DEST/usr/bin/aarch64-linux-gnu-g++-12). Installed as a package it would
#     conflict with gcc-multilib (Debian's gcc-12-aarch64-linux-gnu declares Conflicts: gcc-multilib, which the
#     i386 futex tests need); unpacked, GCC finds its parts relative to its own location;
#   - Node.js for arm64 and its libraries, so the tests run the cross-built binding and `ipcx` under
#     qemu-user (qemu-aarch64 -L DEST DEST/usr/bin/node).
# Idempotent; needs root (it adds the arm64 architecture to dpkg so apt can download its packages).
#
#   sh tools/arm64-runtime.sh DEST
set -eu
dest=${1:?usage: arm64-runtime.sh DEST}
# glibc's libc.so is a linker script naming its parts by absolute path (/usr/aarch64-linux-gnu/lib/...), which
# holds them only where the package is installed: unpacked, it names them by file name, which the linker looks
# up in its library path (the unpacked toolchain's own lib directory)
libc_script=usr/aarch64-linux-gnu/lib/libc.so
unpacked() {
  [ -x "$1/usr/bin/node" ] && [ -x "$1/usr/bin/aarch64-linux-gnu-g++-12" ] && [ -f "$1/$libc_script" ] &&
    ! grep -q '/usr/aarch64-linux-gnu/lib/' "$1/$libc_script"
}
unpacked "$dest" && exit 0
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
echo "arm64 runtime: downloading Debian's aarch64 cross compiler and nodejs:arm64 into $dest (apt-get download; nothing is installed)"
if ! apt-get update >"$log" 2>&1; then
  echo "arm64-runtime: \`apt-get update\` failed; last lines:" >&2; tail -n 15 "$log" >&2; exit 1
fi
pkgs="nodejs:arm64 libnode108:arm64 libbrotli1:arm64 libc-ares2:arm64 libc6:arm64 libicu72:arm64 libnghttp2-14:arm64
libssl3:arm64 libstdc++6:arm64 libgcc-s1:arm64 libuv1:arm64 zlib1g:arm64 node-acorn node-cjs-module-lexer node-undici
gcc-12-aarch64-linux-gnu g++-12-aarch64-linux-gnu cpp-12-aarch64-linux-gnu binutils-aarch64-linux-gnu
libgcc-12-dev-arm64-cross libstdc++-12-dev-arm64-cross libc6-dev-arm64-cross linux-libc-dev-arm64-cross libc6-arm64-cross
libgcc-s1-arm64-cross libstdc++6-arm64-cross libasan8-arm64-cross libatomic1-arm64-cross libgomp1-arm64-cross
libhwasan0-arm64-cross libitm1-arm64-cross liblsan0-arm64-cross libtsan2-arm64-cross libubsan1-arm64-cross"
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! (cd "$work" && apt-get download $pkgs >"$log" 2>&1); then
  echo "arm64-runtime: \`apt-get download\` failed; last lines:" >&2; tail -n 15 "$log" >&2; exit 1
fi
rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$dest.tmp"; done
sed -i 's|/usr/aarch64-linux-gnu/lib/||g' "$dest.tmp/$libc_script"
if ! unpacked "$dest.tmp"; then
  echo "arm64-runtime: the unpacked packages lack node, the cross compiler or glibc's libc.so (see $dest.tmp)" >&2; exit 1
fi
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "arm64 runtime: the aarch64 cross compiler and Node.js for arm64 in $dest"
