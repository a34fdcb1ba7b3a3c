#!/bin/sh
# The Debian packages IPC Explorer's tests and `npm start` use. Idempotent: asks apt for nothing (not even
# `apt-get update`) when every package is installed.
#
#   sh tools/install-system-deps.sh [STAGE...]           install what is missing (root), for every stage or the named ones
#   sh tools/install-system-deps.sh --check [STAGE...]   only list what is missing and which stages it gates (exit 1 if any)
#
# Stages are test/run-all.mjs's (native cli recycle remote webview futex metrics integration) plus `start` (npm start)
# and `bench` (npm run bench).
# Not root and something missing: lists the packages, the stages they gate, and the command to run; exit 1.
set -eu
export DEBIAN_FRONTEND=noninteractive

# package  stages it gates (comma-separated; "all" = every stage that runs something other than pure TypeScript)
TABLE="
util-linux        all                         unshare, setpriv, nsenter, lsipc, ipcs, ipcmk, ipcrm
procps            all                         ps, sysctl
gcc               native,cli,recycle,futex,integration,metrics,bench the C helper programs the kernel tests run
libc6-dev         native,cli,recycle,futex,integration,metrics,bench headers for those helpers
g++               native,cli,recycle,integration,start,metrics,bench the native binding (node-gyp, npm install)
make              native,cli,recycle,integration,start,metrics,bench the native binding (node-gyp)
python3           native,cli,recycle,integration,start,metrics,bench the native binding (node-gyp)
gcc-multilib      futex                       the i386 (-m32) glibc-new-32 faithfulness tests
qemu-user         native                      qemu-aarch64: the linux-arm64 binding and ipcx run under emulation
strace            cli                         counting the syscalls of one ipcx snapshot (/dev/shm listing cost)
podman            cli                         a real container (vfs storage, imported rootfs) for the namespace tests
runc              cli                         podman's runtime here (crun refuses a hybrid cgroup layout)
openssh-server    remote,metrics,bench              a real sshd on 127.0.0.1
openssh-client    remote,metrics,bench              ssh, ssh-keygen
postgresql        recycle                     a real PostgreSQL server (its shm interlock segment)
prometheus        metrics,integration         a real Prometheus server and promtool (check metrics, check/test rules, check config)
chromium          webview,futex,integration,start,bench webviews and the VS Code workbench in a real browser
fonts-dejavu-core webview,futex,integration,start,bench fonts for the screenshots
ripgrep           integration,start,bench     code-server's search (no download from GitHub)
libkrb5-dev       integration,start,bench     code-server's native modules build against it
pkg-config        integration,start,bench     code-server's native modules
libx11-dev        integration,start,bench     code-server's native modules
libxkbfile-dev    integration,start,bench     code-server's native modules
libsecret-1-dev   integration,start,bench     code-server's native modules
"

check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
stages="$*"

# wanted PKG: is the package needed by one of the asked stages (or all stages when none were named)?
wanted() {
  [ -z "$stages" ] && return 0
  gates=$1
  [ "$gates" = all ] && return 0
  for s in $stages; do
    case ",$gates," in *",$s,"*) return 0 ;; esac
  done
  return 1
}

have_dpkg=1
command -v dpkg-query >/dev/null 2>&1 || have_dpkg=0
missing=""
report=""
nl='
'
while read -r pkg gates why; do
  [ -n "$pkg" ] || continue
  wanted "$gates" || continue
  if [ "$have_dpkg" = 1 ] && dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then continue; fi
  missing="$missing $pkg"
  report="$report$nl  $pkg  (gates: $gates; $why)"
done <<EOF
$TABLE
EOF

if [ -z "$missing" ]; then
  echo "system packages: ok${stages:+ (for: $stages)}"
  exit 0
fi

if [ "$have_dpkg" = 0 ]; then
  echo "install-system-deps: not a Debian system (no dpkg-query): install the equivalents of these packages yourself:$report" >&2
  exit 1
fi
if [ "$check" = 1 ]; then
  echo "install-system-deps: missing Debian packages:$report" >&2
  echo "  tests of the stages they gate are skipped with that reason (or fail when IPCX_REQUIRE_<CAPABILITY>=1);" >&2
  echo "  install them as root: sh tools/install-system-deps.sh" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: not root, cannot apt-get install these missing packages:$report" >&2
  echo "  run as root: sh tools/install-system-deps.sh   (or: sudo apt-get install$missing)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: apt-get not found; install:$missing" >&2
  exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/install-system-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
echo "system packages: installing$missing (apt-get update, then apt-get install; output in case of failure only)"
if ! apt-get update >"$log" 2>&1; then
  echo "install-system-deps: \`apt-get update\` failed (network? sources.list?); last lines:" >&2
  tail -n 15 "$log" >&2
  echo "  missing:$missing" >&2
  exit 1
fi
# shellcheck disable=SC2086 # word splitting of the package list is intended
if ! apt-get install -y --no-install-recommends $missing >"$log" 2>&1; then
  echo "install-system-deps: \`apt-get install$missing\` failed; last lines:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
echo "system packages: installed$missing"
