/**
 * The scripts IPC Explorer sends to an SSH host on stdin (`ssh -- DEST sh -s`). Nothing is installed on
 * the host. They are constant POSIX sh text; the only values ever spliced in are integers validated here
 * (ids, keys, times), never a string that came from the user or from a host.
 *
 * Document format (parsed by extension/domain/probeParser.ts):
 *   @@ipcx-probe 1            first line: format name and version
 *   @@section NAME            a section; its body is every line up to the next `@@` line
 *   ...
 *   @@end                     last line: its absence means the output was cut short
 * Bodies never start a line with `@@`: /proc, ipcs and find output cannot, and /dev/shm names holding a
 * newline are skipped by the script (counted in section `devshm-skipped`).
 */

import { LIMIT_FILES } from '../domain/procParser';
import type { ActivityFields } from '../shared/model';

/** The limit files the probe prints: the local sources' LIMIT_FILES (constant paths, no host text). */
const LIMIT_PATHS = LIMIT_FILES.map((f) => `/proc/sys/${f}`).join(' ');

/**
 * One snapshot: uname, identity, namespace, /proc/sysvipc, limits, /dev/shm, pid facts (Linux); ipcs + sysctl (BSD, macOS).
 * With `want_ns=1` (Linux) also every other IPC namespace of the host, entered by nsenter (sections `ns-*`,
 * `ns.INODE.*`); with `want_ns=list` the same listing (`ns-*`, `ns.INODE.meta`) without entering any. (`$[` stands for a dollar-brace, which a template literal would interpolate.)
 */
export const PROBE_SCRIPT = String.raw`LC_ALL=C; export LC_ALL
PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; export PATH
echo '@@ipcx-probe 1'
s() { echo "@@section $1"; }
# kill -0 PID: ok (exists, may signal), ESRCH (no such process), EPERM (exists, another user's), other
alive0() {
  if k=$(kill -0 "$1" 2>&1); then echo ok; return; fi
  case "$k" in *"No such process"*) echo ESRCH;; *"ermitted"*) echo EPERM;; *) echo other;; esac
}
os=$(uname -s 2>/dev/null)
s uname; uname -srm 2>&1
s hostname; hostname 2>/dev/null || uname -n
s uid; id -u
s now; date +%s
s tz; date +%z
case "$os" in
Linux)
  s ipcns; readlink /proc/self/ns/ipc 2>&1
  s btime; grep '^btime ' /proc/stat 2>&1
  s clktck; getconf CLK_TCK 2>&1
  s pidns; readlink /proc/self/ns/pid 2>/dev/null
  s nspid; grep '^NSpid:' /proc/self/status 2>/dev/null
  s procmount; awk '$5 == "/proc"' /proc/self/mountinfo 2>/dev/null
  s groups; id -G 2>/dev/null
  s clock; date +%s.%N; cat /proc/uptime 2>/dev/null; date +%s.%N
  s pagesize; getconf PAGESIZE 2>&1
  # glibc's release (its confstr); elsewhere the first line of ldd's answer (musl's ldd names itself on stderr)
  s libc; getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1 | head -n 1
  for k in sem shm msg; do
    s "sysvipc-$k"
    # the kernel pads every column: squeezing the blanks halves what crosses the network (the parser splits on blanks)
    if [ -r "/proc/sysvipc/$k" ]; then tr -s ' ' < "/proc/sysvipc/$k"; else echo "@@error cannot read /proc/sysvipc/$k"; fi
  done
  s limits
  for f in ${LIMIT_PATHS}; do
    if [ -r "$f" ]; then printf '%s ' "$f"; tr '\t\n' '  ' < "$f"; echo; fi
  done
  s devshm
  # One pass, never following a symlink, no process per file: GNU find -printf (else one stat per batch of
  # names through find -exec +), sorted by name, at most $devshm_cap lines; names holding a newline are
  # counted, not listed (they would break the line format). $devshm_dir is /dev/shm, or another IPC
  # namespace's /proc/PID/root/dev/shm (digits checked by the caller); paths are printed as /dev/shm/NAME
  # either way. Neither it nor its parent (dev) may be a symbolic link: through /proc/PID/root an absolute
  # link resolves against our root.
  nl='
'
  list=
  skipped=0
  devshm_ok=no
  if [ "$devshm_dir" = /dev/shm ]; then [ -d /dev/shm ] && [ ! -h /dev/shm ] && devshm_ok=yes
  else [ -d "$devshm_dir" ] && [ ! -h "$devshm_dir" ] && [ ! -h "$[devshm_dir%/shm}" ] && devshm_ok=yes
  fi
  # semaphores and other files share the bound (half each, what one kind leaves goes to the other), as in
  # the local listing: a flood of one kind cannot push the other out
  devshm_pick='{ p = $0; for (i = 1; i <= 7; i++) sub(/^[^ ]* /, "", p) }
    p ~ /^\/dev\/shm\/sem\./ { if (ns < cap) sem[++ns] = $0; else ms++; next }
    { if (no < cap) oth[++no] = $0; else mo++ }
    END { nS = ns + ms; nO = no + mo; half = int((cap + 1) / 2); kS = cap - nO; if (kS < half) kS = half; if (kS > nS) kS = nS
      kO = cap - kS; if (kO > nO) kO = nO; if (kS < cap - kO) kS = cap - kO; if (kS > nS) kS = nS
      for (i = 1; i <= kS; i++) print sem[i]; for (i = 1; i <= kO; i++) print oth[i]; print "#total " NR }'
  # Each step's exit status goes to section devshm-status: a step that dies (a signal, the OOM killer) leaves
  # a listing cut short, possibly inside a line that the next step ends with a newline (a cut
  # /dev/shm/PostgreSQL.1804289383 reads as a file /dev/shm/Post), which would otherwise look complete. GNU find:
  # a file removed between readdir and its stat is no error (-ignore_readdir_race); the stat fallback counts it
  # as one (the listing is then "not fully listed", which only keeps objects).
  fst=-; sst=-; ast=-
  if [ $devshm_ok = yes ]; then
    if find -P "$devshm_dir" -maxdepth 0 -ignore_readdir_race -printf '' >/dev/null 2>&1; then
      found=$(find -P "$devshm_dir" -mindepth 1 -maxdepth 1 -ignore_readdir_race -type f ! -name "*$nl*" -printf '%U %G %m %s %T@ %D %i /dev/shm/%f\n' 2>/dev/null); fst=$?
    else
      found=$(find "$devshm_dir" -mindepth 1 -maxdepth 1 -type f ! -name "*$nl*" -exec stat -c '%u %g %a %s %Y %d %i %n' -- {} + 2>/dev/null); fst=$?
      [ "$devshm_dir" = /dev/shm ] || found=$(printf '%s\n' "$found" | sed "s|^\(\([^ ]* \)\{7\}\)$devshm_dir/|\1/dev/shm/|")
    fi
    sorted=$([ -z "$found" ] || printf '%s\n' "$found" | sort -t / -k 4); sst=$?
    found=
    list=$({ [ -z "$sorted" ] || printf '%s\n' "$sorted"; } | awk -v cap="$devshm_cap" "$devshm_pick"); ast=$?
    sorted=
    skipped=$(find "$devshm_dir" -mindepth 1 -maxdepth 1 -type f -name "*$nl*" -print0 2>/dev/null | tr -cd '\000' | wc -c | tr -d ' ')
  fi
  total=$(printf '%s\n' "$list" | sed -n 's/^#total //p' | tail -n 1)
  list=$(printf '%s\n' "$list" | sed '$d')
  [ -n "$list" ] && printf '%s\n' "$list"
  s devshm-dir; echo "$devshm_dir"
  s devshm-statfs
  # statfs of /dev/shm: f_bsize f_blocks f_bfree f_bavail f_files f_ffree f_type(hex), or why not
  if [ -e "$devshm_dir" ] && { [ "$devshm_dir" = /dev/shm ] || [ $devshm_ok = yes ]; }; then
    if st=$(stat -f -c '%s %b %f %a %c %d %t' "$devshm_dir" 2>&1); then echo "$st"; else echo "! $st" | head -n 1; fi
  elif [ -e "$devshm_dir" ]; then
    echo "! $devshm_dir or its parent is a symbolic link or not a directory: not followed"
  fi
  s devshm-total; echo "$total"
  s devshm-status; echo "$fst $sst $ast"
  s devshm-skipped; echo "$skipped"
  s devshm-sem
  # The listed semaphores' first 64 bytes, in one perl: O_NOFOLLOW (a symlink swapped in is refused),
  # O_NONBLOCK (a FIFO does not block), fstat on the fd must say regular file of at most 64 bytes; the line
  # carries the inode read, so bytes are matched to the file listed, not to whatever took its name.
  if [ -n "$list" ]; then
    if command -v perl >/dev/null 2>&1; then
      printf '%s\n' "$list" | awk '{ p = $0; for (i = 1; i <= 7; i++) sub(/^[^ ]* /, "", p) } $4 <= 64 && p ~ /^\/dev\/shm\/sem\./ { print p }' |
        sed "s|^/dev/shm/|$devshm_dir/|" |
        perl -e 'use Fcntl; while (my $f = <STDIN>) { chomp $f; sysopen(my $h, $f, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY) or next; my @s = stat($h); if (@s && -f _ && $s[7] <= 64) { my $b = ""; my $n = sysread($h, $b, 64); print "$s[1] ", unpack("H*", $b), "\n" if defined $n; } close($h); }' 2>/dev/null
    else
      echo "! no-perl"
    fi
  fi
  s maps
  # every process's /SYSV and /dev/shm mappings, one grep per batch of maps files (xargs: no argv limit),
  # at most $maps_cap lines. Inside another namespace (the probe run once per namespace) only when there is
  # something to attach: a segment or a /dev/shm file.
  maps=
  if [ "$devshm_dir" = /dev/shm ] || [ -n "$list" ] || [ "$(grep -c . /proc/sysvipc/shm 2>/dev/null)" != 1 ]; then
    maps=$(printf '%s\n' /proc/[0-9]*/maps | xargs grep -H -e ' /SYSV[0-9a-f]' -e ' /dev/shm/' 2>/dev/null |
      awk -v cap="$maps_cap" 'NR <= cap { print; next } END { if (NR > cap) print "! cut " (NR - cap) }')
  fi
  [ -n "$maps" ] && printf '%s\n' "$maps"
  if [ "$want_ns" = 1 ] || [ "$want_ns" = list ]; then
    # every other IPC namespace of the host, entered with nsenter -t PID -i -u (as root, or through sudo -n), in
    # this same round trip; with want_ns=list only listed (pids, inode, labels, whether they can be entered),
    # none entered. Only pids and inodes read from /proc (digits, checked) reach a command line.
    me=$(readlink /proc/self/ns/ipc 2>/dev/null)
    if ! command -v nsenter >/dev/null 2>&1; then enter=no-nsenter
    elif [ "$(id -u)" = 0 ]; then enter=root
    elif command -v sudo >/dev/null 2>&1 && sudo -n nsenter --version >/dev/null 2>&1; then enter=sudo
    elif command -v sudo >/dev/null 2>&1; then enter=no-sudo
    else enter=none
    fi
    s ns-enter; echo "$enter"
    s ns-mode; if [ "$want_ns" = list ]; then echo list; else echo read; fi
    s ns-unreadable; ls -l /proc/[0-9]*/ns/ipc 2>&1 >/dev/null | grep -c . 
    nsl=$(ls -l /proc/[0-9]*/ns/ipc 2>/dev/null | awk '{ t = $NF; p = $(NF-2); sub(/^\/proc\//, "", p); sub(/\/.*/, "", p)
      if (t ~ /^ipc:\[[0-9]+\]$/ && p ~ /^[0-9]+$/) { sub(/^ipc:\[/, "", t); sub(/\]$/, "", t); print t, p } }' | sort -k1,1n -k2,2n)
    s ns-list; [ -n "$nsl" ] && printf '%s
' "$nsl"
    set -f
    # every member is listed (--namespace PID); each namespace is entered through its lowest pid
    for e in $(printf '%s
' "$nsl" | awk '!seen[$1]++ { print $1 "," $2 }'); do
      ino=$[e%%,*}; p=$[e#*,}
      case "$ino" in ''|*[!0-9]*) continue ;; esac
      case "$p" in ''|*[!0-9]*) continue ;; esac
      [ "ipc:[$ino]" = "$me" ] && continue
      s "ns.$ino.meta"
      echo "pid $p"
      c=$(tr '

	' '   ' < "/proc/$p/comm" 2>/dev/null) && echo "comm $c"
      awk '{ print "g " $0 }' "/proc/$p/cgroup" 2>/dev/null
      # its /dev/shm (statfs), unless /dev or /dev/shm is a link: through /proc/PID/root an absolute link
      # resolves against our root
      if [ -d "/proc/$p/root/dev/shm" ] && [ ! -h "/proc/$p/root/dev" ] && [ ! -h "/proc/$p/root/dev/shm" ]; then
        d=$(stat -f -c '%S %b %f %a %T' "/proc/$p/root/dev/shm" 2>/dev/null) && echo "devshm $d"
      fi
      [ "$want_ns" = list ] && continue
      # the whole probe again inside it (its own /proc/sysvipc, limits, pids; /dev/shm through this pid's
      # root; its UTS namespace too, so its hostname section is the namespace's), its sections renamed ns.INODE.NAME; stderr is dropped so nothing but the document is kept
      rc=255; out=
      case $enter in
        root) out=$(nsenter -t "$p" -i -u -- sh -c "$ns_probe" ipcx "$p" 2>/dev/null); rc=$? ;;
        sudo) out=$(sudo -n nsenter -t "$p" -i -u -- sh -c "$ns_probe" ipcx "$p" 2>/dev/null); rc=$? ;;
      esac
      if [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | tail -n 1)" = '@@end' ]; then
        printf '%s\n' "$out" | sed -e '/^@@ipcx-probe /d' -e '/^@@end$/d' -e "s/^@@section /@@section ns.$ino./"
      else
        s "ns.$ino.error"
        case $enter in
          root|sudo)
            if [ ! -e "/proc/$p" ]; then echo "! /proc/$p: No such process"
            else
              e=$(case $enter in root) nsenter -t "$p" -i -u -- true 2>&1 ;; *) sudo -n nsenter -t "$p" -i -u -- true 2>&1 ;; esac | head -n 2)
              echo "! nsenter exited $rc$[e:+: }$e" | head -n 3
            fi ;;
          *) echo "! $enter" ;;
        esac
      fi
      out=
    done
    set +f
  fi
  s pids
  pids=$( { awk 'NR>1 { print $5; print $6 }' /proc/sysvipc/shm 2>/dev/null
            awk 'NR>1 { print $6; print $7 }' /proc/sysvipc/msg 2>/dev/null
            [ -n "$maps" ] && printf '%s\n' "$maps" | sed -n 's|^/proc/\([0-9][0-9]*\)/maps:.*|\1|p'
            for p in $extra_pids; do echo "$p"; done
          } | sort -un)
  for p in $pids; do
    [ "$p" -gt 0 ] 2>/dev/null || continue
    st=$(tr '\n' ' ' < "/proc/$p/stat" 2>/dev/null) || st=
    if [ -n "$st" ]; then
      ns=$(readlink "/proc/$p/ns/ipc" 2>/dev/null) || ns=-
      uid=-
      while read -r k v _; do [ "$k" = "Uid:" ] && { uid=$v; break; }; done < "/proc/$p/status" 2>/dev/null
      echo "p $p 1 $uid $ns $st"
      c=$(tr '\000\n' '  ' < "/proc/$p/cmdline" 2>/dev/null) && [ -n "$c" ] && echo "c $p $c"
    else
      # not readable: absent (ENOENT; hidepid=2 hides too) or present but closed (hidepid=1); kill -0 tells
      if [ -e "/proc/$p" ]; then sc=unreadable; else sc=ENOENT; fi
      echo "q $p $sc $(alive0 "$p")"
    fi
  done
  ;;
*)
  s pagesize; getconf PAGESIZE 2>/dev/null || sysctl -n hw.pagesize 2>&1
  s ipcs-a; ipcs -a 2>&1
  s ipcs-M; ipcs -M 2>&1
  s ipcs-S; ipcs -S 2>&1
  s ipcs-Q; ipcs -Q 2>&1
  s sysctl
  sysctl kern.ipc 2>/dev/null
  sysctl kern.sysv 2>/dev/null
  s pids
  # -a rows: m ID KEY MODE OWNER GROUP CREATOR CGROUP NATTCH SEGSZ CPID LPID ...; q ... CGROUP CBYTES QNUM QBYTES LSPID LRPID ...
  pids=$( { ipcs -a 2>/dev/null | awk '$1 == "m" && NF >= 12 { print $11; print $12 } $1 == "q" && NF >= 13 { print $12; print $13 }'
            for p in $extra_pids; do echo "$p"; done; } | sort -un)
  for p in $pids; do
    [ "$p" -gt 0 ] 2>/dev/null || continue
    # the pid column alone decides (digits only); a command name may hold newlines: they become spaces
    if [ "$(ps -o pid= -p "$p" 2>/dev/null | tr -d ' \n')" = "$p" ]; then
      c=$(ps -o comm= -p "$p" 2>/dev/null); c=$(printf '%s' "$c" | tr '\n\r\t' '   ')
      echo "p $p 1 $c"
    else
      echo "q $p ENOENT $(alive0 "$p")"
    fi
  done
  ;;
esac
echo '@@end'
`.replaceAll('$[', '${');

const ID_MAX = 0x7fffffff;

/**
 * The probe, reporting process facts also for `extraPids` (validated integers): the last-op pids of sets
 * whose detail was read, which /proc/sysvipc does not show, so verdicts can tell whether they are alive.
 * `namespaces`: true also reads every other IPC namespace of the host (nsenter into each); 'list' only lists
 * them (pids, inode, command, cgroup, /dev/shm statfs, whether they could be entered), entering none.
 */
export function probeScript(extraPids: readonly number[] = [], bounds: ProbeBounds = {}, opts: { namespaces?: boolean | 'list'; devShmPid?: number } = {}): string {
  const devshmCap = assertId(bounds.devShm ?? PROBE_DEVSHM_CAP, 'devShm bound');
  const mapsCap = assertId(bounds.mapsLines ?? PROBE_MAPS_LINES_CAP, 'maps bound');
  const devshmDir = opts.devShmPid === undefined ? '/dev/shm' : `/proc/${assertId(opts.devShmPid, 'pid')}/root/dev/shm`;
  return `extra_pids='${extraPids.map((p) => String(assertId(p, 'pid'))).join(' ')}'\n` +
    `devshm_cap=${devshmCap}; maps_cap=${mapsCap}; devshm_dir=${devshmDir}\n` +
    (opts.namespaces === 'list' ? 'want_ns=list\n'
      : opts.namespaces ? `want_ns=1\nns_probe='${shQuoted(namespaceProbe(devshmCap, mapsCap))}'\n` : 'want_ns=0\n') + PROBE_SCRIPT;
}

/** Text for inside single quotes in sh. */
function shQuoted(text: string): string {
  return text.replaceAll("'", "'\\''");
}

/**
 * The probe as it runs inside another IPC namespace (`sh -c NS_PROBE ipcx PID`, after nsenter -t PID -i):
 * everything of the host's probe but the namespace loop, with /dev/shm read as /proc/PID/root/dev/shm (the
 * namespace's main process's mount namespace; PID is checked to be digits before it is used).
 */
function namespaceProbe(devshmCap: number, mapsCap: number): string {
  return `case "$1" in ''|*[!0-9]*) echo '@@ipcx-probe 1'; echo '@@section uname'; exit 1 ;; esac\n` +
    `extra_pids=; devshm_cap=${devshmCap}; maps_cap=${mapsCap}; devshm_dir="/proc/$1/root/dev/shm"; want_ns=0\n` + PROBE_SCRIPT;
}

/** One other IPC namespace of an SSH host: a pid in it and its inode (both read from the host's /proc). */
export interface RemoteNamespaceTarget {
  pid: number;
  inode: number;
}

/** An nsfs inode: digits, at most 20 of them. */
export function assertInode(inode: unknown): number {
  if (typeof inode !== 'number' || !Number.isSafeInteger(inode) || inode <= 0) {
    throw new RangeError(`inode must be a positive integer, got ${String(inode)}`);
  }
  return inode;
}

/**
 * Runs `script` inside another IPC namespace of the host: `nsenter -t PID -i -- sh -c SCRIPT` as root (the
 * login, or the long-lived sudo shell), else `sudo -n nsenter` when a passwordless rule allows it. Only the
 * mount namespace of the host stays: its tools run, never the container's. The script is constant text
 * passed as one argument; only the validated pid and inode are spliced in. Before the script, the shell
 * inside checks that it IS in ipc:[INODE] (a pid reused by a process of another namespace is refused, not
 * read). When it cannot run it, one line says why instead of the script's output:
 *   @@ipcx-ns gone | changed NS | cannot no-nsenter|no-sudo|none UID | failed RC [nsenter's words]
 */
export function inNamespaceScript(script: string, t: RemoteNamespaceTarget): string {
  const pid = assertId(t.pid, 'pid');
  const ino = assertInode(t.inode);
  const inner = `n=$(readlink /proc/self/ns/ipc 2>/dev/null)\n` +
    `if [ "$n" != "ipc:[${ino}]" ]; then echo "@@ipcx-ns changed $(printf '%s' "$n" | tr -cd 'a-z0-9:[]')"; exit 0; fi\n` + script;
  return [
    'PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; export PATH',
    `ipcx_inner='${shQuoted(inner)}'`,
    `ipcx_try() { "$@" nsenter -t ${pid} -i -- sh -c "$ipcx_inner" ipcx || { r=$?; e=$("$@" nsenter -t ${pid} -i -- true 2>&1 | head -n 2 | tr '\n' ' '); echo "@@ipcx-ns failed $r $e"; }; }`,
    `if [ ! -e /proc/${pid} ]; then echo '@@ipcx-ns gone'`,
    "elif ! command -v nsenter >/dev/null 2>&1; then echo '@@ipcx-ns cannot no-nsenter'",
    'elif [ "$(id -u)" = 0 ]; then ipcx_try',
    'elif command -v sudo >/dev/null 2>&1 && sudo -n nsenter --version >/dev/null 2>&1; then ipcx_try sudo -n',
    'elif command -v sudo >/dev/null 2>&1; then echo "@@ipcx-ns cannot no-sudo $(id -u)"',
    'else echo "@@ipcx-ns cannot none $(id -u)"; fi',
    '',
  ].join('\n');
}

/** Bounds on what one probe lists (the rest is counted and reported as a warning). */
export interface ProbeBounds {
  /** /dev/shm files listed (default PROBE_DEVSHM_CAP) */
  devShm?: number;
  /** /SYSV and /dev/shm mapping lines reported (default PROBE_MAPS_LINES_CAP) */
  mapsLines?: number;
}

/** Default bound on /dev/shm files listed per probe (the same as the local sources' MAX_DEVSHM_LIST). */
export const PROBE_DEVSHM_CAP = 10000;
/** Default bound on mapping lines per probe (65,530 mappings per process is the kernel's default maximum). */
export const PROBE_MAPS_LINES_CAP = 200000;

/** Refuse anything that is not a non-negative 31-bit integer, so only digits are ever spliced into a script. */
export function assertId(id: unknown, what = 'id'): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || id > ID_MAX) {
    throw new RangeError(`${what} must be an integer in 0..${ID_MAX}, got ${String(id)}`);
  }
  return id;
}

/** A key_t as /proc prints it: a signed 32-bit integer. */
export function assertKey(key: unknown): number {
  if (typeof key !== 'number' || !Number.isSafeInteger(key) || key < -0x80000000 || key > 0x7fffffff) {
    throw new RangeError(`key must be a signed 32-bit integer, got ${String(key)}`);
  }
  return key;
}

/** A time in seconds (>= 0, safe integer). */
export function assertTime(t: unknown, what = 'time'): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    throw new RangeError(`${what} must be a non-negative integer, got ${String(t)}`);
  }
  return t;
}

/** Per-semaphore values of the given sets in ONE round trip (util-linux `ipcs -s -i ID` for each). */
export function semDetailScript(ids: readonly number[]): string {
  const list = ids.map((id) => String(assertId(id))).join(' ');
  return [
    'LC_ALL=C; export LC_ALL',
    'PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; export PATH',
    "echo '@@ipcx-semdetail 1'",
    `for id in ${list}; do`,
    '  echo "@@section sem $id"',
    '  ipcs -s -i "$id" 2>&1',
    'done',
    "echo '@@end'",
    '',
  ].join('\n');
}

/** What the remote removal script re-checks, all integers. */
/** shm and msg: the activity fields the plan saw (Linux: all; ipcs hosts: the pids and counts). */
export interface RemoteRemoveCheck extends ActivityFields {
  kind: 'sem' | 'shm' | 'msg';
  id: number;
  key: number;
  /** Linux: ctime in epoch seconds (from /proc/sysvipc). ipcs hosts: seconds of the day of the CTIME column. */
  ctime: number;
  nattchZero: boolean;
  noWaiters: boolean;
  /** sem (Linux): otime in epoch seconds; -1 = do not check. */
  otime: number;
  /** sem (Linux): the last-op pid of every semaphore must still be these (empty = do not check). */
  semPids?: readonly number[];
}

/** /proc/sysvipc column (1-based) of each checked field. */
const SYSVIPC_COLUMNS: Record<'shm' | 'msg', Partial<Record<keyof RemoteRemoveCheck, number>>> = {
  shm: { cpid: 5, lpid: 6, nattch: 7, atime: 12, dtime: 13 },
  msg: { cbytes: 4, qnum: 5, lspid: 6, lrpid: 7, stime: 12, rtime: 13 },
};

/**
 * sh function `blocked ID`: prints nothing when it is proven that no thread is blocked in msgrcv/msgsnd on queue
 * ID, else why it may be (the Perl twin in lockScript.ts documents the syscall numbers and the rules). Reads only
 * /proc/PID/task/TID/syscall and /proc/PID/ns/ipc; `uname -m` is only matched by `case`. (`$[` stands for
 * a dollar-brace, which a template literal would interpolate.)
 */
export const BLOCKED_ON_QUEUE_SH = String.raw`blocked() {
  q=$1; cant='cannot prove that no process is blocked in msgrcv/msgsnd on the queue'
  case $(uname -m 2>/dev/null) in
    x86_64) direct=' 69 70 1073741893 1073741894 400 401 '; mux=' 117 ' ;;
    aarch64) direct=' 188 189 301 302 '; mux=' ' ;;
    riscv64) direct=' 188 189 '; mux=' ' ;;
    *) echo "$cant: no syscall table for this architecture"; return ;;
  esac
  st=; read -r st < /proc/2/stat 2>/dev/null
  set -f; set -- $[st##*)}; set +f
  fl=$7
  case $fl in ''|*[!0-9]*) fl=0 ;; esac
  [ $((fl & 2097152)) -ne 0 ] || { echo "$cant: /proc does not show the initial pid namespace (pid 2 is not kthreadd), processes outside it may share this IPC namespace"; return; }
  myns=$(readlink /proc/self/ns/ipc 2>/dev/null)
  [ -n "$myns" ] || { echo "$cant: cannot read /proc/self/ns/ipc"; return; }
  bad=; n=0
  for f in /proc/[0-9]*/task/[0-9]*/syscall; do
    l=
    { read -r l < "$f"; } 2>/dev/null
    if [ -z "$l" ]; then [ -e "$f" ] && [ -z "$bad" ] && bad="cannot read $f"; continue; fi
    n=$((n+1))
    set -f; set -- $l; set +f
    case "$direct$mux" in *" $1 "*) ;; *) continue ;; esac
    h=$[2#0x}; while [ $[#h} -gt 8 ]; do h=$[h#?}; done; a0=$((0x$h))
    h=$[3#0x}; while [ $[#h} -gt 8 ]; do h=$[h#?}; done; a1=$((0x$h))
    hit=0
    case "$direct" in *" $1 "*) [ "$a0" -eq "$q" ] && hit=1 ;; esac
    case "$mux" in *" $1 "*) c=$((a0 & 65535)); { [ $c -eq 11 ] || [ $c -eq 12 ]; } && [ "$a1" -eq "$q" ] && hit=1 ;; esac
    [ $hit = 1 ] || continue
    p=$[f#/proc/}; p=$[p%%/*}
    ns=$(readlink "/proc/$p/ns/ipc" 2>/dev/null)
    [ -n "$ns" ] && [ "$ns" != "$myns" ] && continue
    echo "a process is blocked in msgrcv/msgsnd on the queue (pid $p)"; return
  done
  [ -z "$bad" ] || { echo "$cant: $bad"; return; }
  [ $n -gt 0 ] || echo "$cant: no task could be read"
}
`.replaceAll('$[', '${');

/**
 * Check-then-ipcrm on a Linux host (hosts where the lock self-test failed, see lockScript.ts): re-read the
 * object's line in /proc/sysvipc immediately before `ipcrm` and compare everything the plan saw (id, key,
 * ctime; shm nattch, cpid, lpid, atime, dtime; msg qnum, cbytes, lspid, lrpid, stime, rtime; sem otime and,
 * from `ipcs -s -i`, no waiters and the same last-op pids); for a queue, prove from /proc that no thread is
 * blocked in msgrcv/msgsnd on it. One result line: `@@result ok`, `@@result changed <reason>`,
 * `@@result gone`, or `@@result failed <ipcrm text>`. Without a lock, an operation that starts between this
 * check and `ipcrm` is not seen (docs/ssh.md says so).
 */
export function removeScriptLinux(c: RemoteRemoveCheck): string {
  const id = assertId(c.id);
  const key = assertKey(c.key);
  const ctime = assertTime(c.ctime, 'ctime');
  const otime = c.otime === -1 ? -1 : assertTime(c.otime, 'otime');
  if (!['sem', 'shm', 'msg'].includes(c.kind)) throw new RangeError(`kind must be sem, shm or msg, got ${String(c.kind)}`);
  // /proc/sysvipc columns: sem: key semid perms nsems uid gid cuid cgid otime ctime
  //                         shm: key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime ...
  //                         msg: key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime
  const ctimeCol = c.kind === 'sem' ? 10 : 14;
  const flag = c.kind === 'sem' ? '-s' : c.kind === 'shm' ? '-m' : '-q';
  const lines = [
    'LC_ALL=C; export LC_ALL',
    'PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; export PATH',
    "echo '@@ipcx-remove 1'",
    `row=$(awk '$2 == ${id} { print; exit }' /proc/sysvipc/${c.kind} 2>/dev/null)`,
    'if [ -z "$row" ]; then echo "@@result gone"; echo "@@end"; exit 0; fi',
    'set -f; set -- $row',
    `[ "$1" = "${key}" ] || { echo "@@result changed key is now $1"; echo "@@end"; exit 0; }`,
    'eval "ct=\\${' + ctimeCol + '}"',
    `[ "$ct" = "${ctime}" ] || { echo "@@result changed ctime is now $ct"; echo "@@end"; exit 0; }`,
  ];
  if (c.kind === 'shm' && c.nattchZero) {
    lines.push('[ "$7" = "0" ] || { echo "@@result changed nattch is now $7"; echo "@@end"; exit 0; }');
  }
  if (c.kind === 'shm' || c.kind === 'msg') {
    for (const [field, col] of Object.entries(SYSVIPC_COLUMNS[c.kind]) as [keyof RemoteRemoveCheck, number][]) {
      const v = c[field];
      if (v === undefined) continue;
      const want = field.endsWith('pid') ? assertId(v, field) : assertTime(v, field);
      const ref = col > 9 ? `\${${col}}` : `$${col}`;
      lines.push(`[ "${ref}" = "${want}" ] || { echo "@@result changed ${field} is now ${ref} (was ${want})"; echo "@@end"; exit 0; }`);
    }
  }
  if (c.kind === 'sem' && otime >= 0) {
    lines.push(`[ "$9" = "${otime}" ] || { echo "@@result changed otime is now $9"; echo "@@end"; exit 0; }`);
  }
  if (c.kind === 'sem' && c.noWaiters) {
    lines.push(
      `w=$(ipcs -s -i ${id} 2>&1 | awk 'BEGIN { t = 0; bad = 1 } /^semnum/ { t = 1; bad = 0; next } t && NF >= 5 && $1 ~ /^[0-9]+$/ { if ($3 != 0 || $4 != 0) bad = 2 } END { print bad }')`,
      '[ "$w" = "0" ] || { if [ "$w" = "2" ]; then echo "@@result changed a process is waiting on the set"; else echo "@@result changed cannot read the waiters (ipcs -s -i)"; fi; echo "@@end"; exit 0; }',
    );
  }
  if (c.kind === 'sem' && c.semPids && c.semPids.length) {
    const want = c.semPids.map((p) => String(assertId(p, 'pid'))).join(' ');
    lines.push(
      `p=$(ipcs -s -i ${id} 2>&1 | awk '/^semnum/ { t = 1; next } t && NF >= 5 && $1 ~ /^[0-9]+$/ { printf "%s%s", s, $5; s = " " }')`,
      `[ "$p" = "${want}" ] || { echo "@@result changed the last-op pids are now $p"; echo "@@end"; exit 0; }`,
    );
  }
  if (c.kind === 'msg') {
    lines.push(
      BLOCKED_ON_QUEUE_SH,
      `b=$(blocked ${id})`,
      '[ -z "$b" ] || { echo "@@result changed $b"; echo "@@end"; exit 0; }',
    );
  }
  lines.push(
    `out=$(ipcrm ${flag} ${id} 2>&1) && { echo "@@result ok"; echo "@@end"; exit 0; }`,
    'echo "@@result failed $out" | tr "\\n" " "; echo; echo "@@end"',
    '',
  );
  return lines.join('\n');
}

/**
 * Guarded removal on a FreeBSD/macOS host: re-read the object's `ipcs -a` row (same type, id, key, CTIME
 * column as seconds of the day; shm NATTCH 0 and the planned CPID/LPID) immediately before `ipcrm`. Same result
 * lines as Linux. No lock (no Perl layout is verified there); queues are never removed there (SshSource refuses:
 * nothing shows a thread blocked in msgrcv/msgsnd).
 */
export function removeScriptIpcs(c: RemoteRemoveCheck): string {
  const id = assertId(c.id);
  const key = assertKey(c.key);
  const ctime = assertTime(c.ctime, 'ctime');
  const t = c.kind === 'sem' ? 's' : c.kind === 'shm' ? 'm' : 'q';
  const flag = c.kind === 'sem' ? '-s' : c.kind === 'shm' ? '-m' : '-q';
  // rows: m ID KEY MODE OWNER GROUP CREATOR CGROUP NATTCH SEGSZ CPID LPID ATIME DTIME CTIME
  //       s ID KEY MODE OWNER GROUP CREATOR CGROUP NSEMS OTIME CTIME
  //       q ID KEY MODE OWNER GROUP CREATOR CGROUP CBYTES QNUM QBYTES LSPID LRPID STIME RTIME CTIME
  return [
    'LC_ALL=C; export LC_ALL',
    'PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; export PATH',
    "echo '@@ipcx-remove 1'",
    `row=$(ipcs -a 2>/dev/null | awk '$1 == "${t}" && $2 == ${id} { print; exit }')`,
    'if [ -z "$row" ]; then echo "@@result gone"; echo "@@end"; exit 0; fi',
    'set -f; set -- $row',
    // FreeBSD prints the key in signed decimal, macOS in hex (0x%08x)
    `[ "$3" = "${key}" ] || [ "$3" = "0x${(key >>> 0).toString(16).padStart(8, '0')}" ] || { echo "@@result changed key is now $3"; echo "@@end"; exit 0; }`,
    'eval "ct=\\${$#}"',
    `cs=$(echo "$ct" | awk -F: 'NF == 3 { print $1 * 3600 + $2 * 60 + $3; exit } { print "x" }')`,
    `[ "$cs" = "${ctime}" ] || { echo "@@result changed ctime is now $ct"; echo "@@end"; exit 0; }`,
    ...(c.kind === 'shm' && c.nattchZero
      ? ['[ "$9" = "0" ] || { echo "@@result changed nattch is now $9"; echo "@@end"; exit 0; }']
      : []),
    ...(c.kind === 'shm' && c.cpid !== undefined
      ? [`[ "\${11}" = "${assertId(c.cpid, 'cpid')}" ] || { echo "@@result changed cpid is now \${11}"; echo "@@end"; exit 0; }`]
      : []),
    ...(c.kind === 'shm' && c.lpid !== undefined
      ? [`[ "\${12}" = "${assertId(c.lpid, 'lpid')}" ] || { echo "@@result changed lpid is now \${12}"; echo "@@end"; exit 0; }`]
      : []),
    `out=$(ipcrm ${flag} ${id} 2>&1) && { echo "@@result ok"; echo "@@end"; exit 0; }`,
    'echo "@@result failed $out" | tr "\\n" " "; echo; echo "@@end"',
    '',
  ].join('\n');
}
