/**
 * LOCK -> VERIFY -> REMOVE on an SSH host, in Perl: the remote counterpart of the native guarded removal
 * (native/src/sysv_util.h LockVerifyRemove). Perl's `semctl/shmctl/msgctl` builtins are part of the
 * interpreter (Debian's Essential perl-base has them; IPC::SysV is not needed and not used), but they hand
 * back the raw `struct semid_ds/shmid_ds/msqid_ds` bytes, so the offsets below are ours, per architecture:
 *
 *   every 64-bit Linux (x86_64, aarch64, riscv64): struct ipc64_perm
 *     key 0 (int), uid 4, gid 8, cuid 12, cgid 16, mode 20 (unsigned int), seq 24; size 48
 *   shmid64_ds: segsz 48, atime 56, dtime 64, ctime 72, cpid 80, lpid 84, nattch 88; size 112
 *   msqid64_ds: stime 48, rtime 56, ctime 64, cbytes 72, qnum 80, qbytes 88, lspid 96, lrpid 100; size 120
 *   semid64_ds: x86_64 (arch/x86 sembuf.h pads each time): otime 48, ctime 64, nsems 80; size 104
 *               asm-generic (aarch64, riscv64):            otime 48, ctime 56, nsems 64; size 88
 * (glibc's `struct semid_ds` on these 64-bit ABIs is the kernel's, passed as is with IPC_64.) The command
 * numbers (IPC_RMID 0, IPC_SET 1, IPC_STAT 2, GETPID 11, GETNCNT 14, GETZCNT 15) are the same on every Linux.
 *
 * A table is a claim, not a proof: `LOCK_PROBE` proves it on the host before anything of anyone else is
 * touched. It creates throwaway objects of its own (IPC_PRIVATE, so no other program can find them), checks
 * every offset it will use against values it set itself (uid, gid, mode, nsems/segsz, times around its own
 * clock, its own pid after its own semop/shmread/msgsnd/msgrcv), changes the mode with IPC_SET and reads it
 * back, and removes them. Only a host that passes gets the lock; the others get the widened
 * check-then-ipcrm of probeScript.ts, and the plan and the audit log say which one.
 *
 * Arguments reach the program only as numbers on its command line (validated by the assert* helpers); it
 * never reads a value from the host's text into a command.
 */
import type { ActivityFields } from '../shared/model';
import { assertId, assertKey, assertTime } from './probeScript';

/** Which struct layout the lock probe verified on a host (passed back to the removal program). */
export type LockLayout = 'x86_64' | 'generic64';
const LAYOUT_CODE: Record<LockLayout, number> = { x86_64: 1, generic64: 2 };

/**
 * The Perl program. `perl - probe` runs the self-test; `perl - remove LAYOUT KIND ID KEY CTIME name=value...`
 * removes one object under the lock. Output: `@@section lock` + `locked LAYOUT QUIESCE` / `unlocked REASON`
 * (probe), `@@result ok|gone|changed REASON|failed REASON` (remove).
 */
export const LOCK_PERL = String.raw`use strict;
use Config;
use POSIX ();
$| = 1;
my ($IPC_RMID, $IPC_SET, $IPC_STAT, $IPC_CREAT, $IPC_NOWAIT) = (0, 1, 2, 01000, 04000);
my ($GETPID, $GETVAL, $GETNCNT, $GETZCNT) = (11, 12, 14, 15);
my %PERM = (key => [0, 'l'], uid => [4, 'L'], gid => [8, 'L'], cuid => [12, 'L'], cgid => [16, 'L'], mode => [20, 'L']);
my %SHM = (size => 112, segsz => [48, 'Q'], atime => [56, 'q'], dtime => [64, 'q'], ctime => [72, 'q'],
  cpid => [80, 'l'], lpid => [84, 'l'], nattch => [88, 'Q']);
my %MSG = (size => 120, stime => [48, 'q'], rtime => [56, 'q'], ctime => [64, 'q'], cbytes => [72, 'Q'],
  qnum => [80, 'Q'], qbytes => [88, 'Q'], lspid => [96, 'l'], lrpid => [100, 'l']);
my %SEM_X86 = (size => 104, otime => [48, 'q'], ctime => [64, 'q'], nsems => [80, 'Q']);
my %SEM_GEN = (size => 88, otime => [48, 'q'], ctime => [56, 'q'], nsems => [64, 'Q']);

my $arch = $Config{archname} || '';
my $layout = 0;
if ($Config{ivsize} == 8 && $Config{ptrsize} == 8 && $Config{longsize} == 8) {
  $layout = 1 if $arch =~ /^x86_64-linux/;
  $layout = 2 if $arch =~ /^(aarch64|riscv64)-linux/;
}
my %SEM = $layout == 1 ? %SEM_X86 : %SEM_GEN;
my %L = (sem => \%SEM, shm => \%SHM, msg => \%MSG);
my $kmach = (POSIX::uname())[4];
my %MEMBARRIER_NR = (x86_64 => 324, aarch64 => 283, riscv64 => 283);

sub clean { my $s = shift; $s = '' unless defined $s; $s =~ s/[^\x20-\x7e]/?/g; return substr($s, 0, 200); }
sub F {
  my ($kind, $buf, $name) = @_;
  my $spec = $PERM{$name} || $L{$kind}{$name};
  die "no field $name\n" unless $spec;
  my ($off, $t) = @$spec;
  return unpack($t, substr($buf, $off, ($t eq 'q' || $t eq 'Q') ? 8 : 4));
}
sub withmode { my ($buf, $mode) = @_; my $b = $buf; substr($b, $PERM{mode}[0], 4) = pack('L', $mode); return $b; }
sub ctl {
  my ($kind, $id, $cmd) = @_;
  return $kind eq 'sem' ? semctl($id, 0, $cmd, $_[3]) : $kind eq 'shm' ? shmctl($id, $cmd, $_[3]) : msgctl($id, $cmd, $_[3]);
}
sub stat_of { my ($kind, $id) = @_; my $b = ''; my $r = ctl($kind, $id, $IPC_STAT, $b); return defined $r ? $b : undef; }
sub set_of { my ($kind, $id, $buf) = @_; my $b = $buf; return defined ctl($kind, $id, $IPC_SET, $b); }
sub semval { my ($id, $n, $cmd) = @_; my $r = semctl($id, $n, $cmd, 0); return defined $r ? $r + 0 : undef; }
sub errname {
  my $e = shift;
  for my $n (qw(EACCES EPERM EINVAL EIDRM ENOENT ESRCH EEXIST ENOSPC ENOMEM EFAULT ENOSYS E2BIG EAGAIN)) {
    my $v = eval { POSIX->can($n)->() };
    return $n if defined $v && $v == $e;
  }
  return "errno $e";
}
sub why { my ($call, $e) = @_; return "$call: " . errname($e + 0) . ' (' . clean("$e") . ')'; }

# Waits until every System V call that passed its permission check before our IPC_SET has finished (one RCU
# grace period: membarrier MEMBARRIER_CMD_GLOBAL, as the native path does); else 50 ms.
sub quiesce {
  my $nr = $MEMBARRIER_NR{$kmach};
  if ($layout && defined $nr) { my $r = syscall($nr, 1, 0); return 'membarrier' if defined $r && $r == 0; }
  select(undef, undef, undef, 0.05);
  return 'sleep';
}

# Is any process blocked in msgrcv/msgsnd on queue $id? '' = proven not; else why it is, or why it cannot be
# proven. From /proc/*/task/*/syscall (syscall number and arguments of every blocked thread): x86_64 msgsnd 69,
# msgrcv 70 (also x32, bit 30 set), i386 tasks msgsnd 400, msgrcv 401 and ipc(2) 117 with call 11/12;
# aarch64/riscv64 msgrcv 188, msgsnd 189, arm32 tasks msgsnd 301, msgrcv 302. A thread of another IPC
# namespace does not count; an unreadable one, a /proc that is not the initial pid namespace's (processes
# outside it may share this IPC namespace) or an unknown architecture means "cannot prove".
sub blocked_on_queue {
  my $id = shift;
  my $cant = 'cannot prove that no process is blocked in msgrcv/msgsnd on the queue';
  my %direct; my %ipcmux;
  if ($kmach eq 'x86_64') { %direct = (69 => 1, 70 => 1, 1073741893 => 1, 1073741894 => 1, 400 => 1, 401 => 1); %ipcmux = (117 => 1); }
  elsif ($kmach eq 'aarch64') { %direct = (188 => 1, 189 => 1, 301 => 1, 302 => 1); }
  elsif ($kmach eq 'riscv64') { %direct = (188 => 1, 189 => 1); }
  else { return "$cant: no syscall table for architecture " . clean($kmach); }
  my $st;
  if (open(my $fh, '<', '/proc/2/stat')) { $st = <$fh>; close $fh; }
  my $flags = 0;
  if (defined $st && $st =~ /\)\s+(.*)$/s) { my @f = split ' ', $1; $flags = $f[6] || 0; }
  return "$cant: /proc does not show the initial pid namespace (pid 2 is not kthreadd), processes outside it may share this IPC namespace" unless $flags & 0x00200000;
  my $myns = readlink('/proc/self/ns/ipc');
  return "$cant: " . why('readlink /proc/self/ns/ipc', $!) unless defined $myns;
  opendir(my $pd, '/proc') or return "$cant: " . why('opendir /proc', $!);
  my @pids = grep { /^[0-9]+$/ } readdir($pd);
  closedir $pd;
  my ($tasks, $unreadable) = (0, '');
  for my $pid (@pids) {
    my $td;
    unless (opendir($td, "/proc/$pid/task")) { $unreadable ||= why("opendir /proc/$pid/task", $!) if -e "/proc/$pid"; next; }
    my @tids = grep { /^[0-9]+$/ } readdir($td);
    closedir $td;
    for my $tid (@tids) {
      my $f = "/proc/$pid/task/$tid/syscall";
      my ($fh, $line);
      if (open($fh, '<', $f)) { $line = <$fh>; close $fh; }
      unless (defined $line) { $unreadable ||= why("read $f", $!) if -e "/proc/$pid/task/$tid"; next; }
      $tasks++;
      next if $line =~ /^running/;
      my @a = split ' ', $line;
      next unless @a >= 3 && $a[0] =~ /^[0-9]+$/;
      my $nr = $a[0] + 0;
      my $a0 = hex($a[1]) & 0xffffffff;
      my $a1 = hex($a[2]) & 0xffffffff;
      my $hit = ($direct{$nr} && $a0 == $id) || ($ipcmux{$nr} && (($a0 & 0xffff) == 11 || ($a0 & 0xffff) == 12) && $a1 == $id);
      next unless $hit;
      my $ns = readlink("/proc/$pid/ns/ipc");
      next if defined $ns && $ns ne $myns;
      return "a process is blocked in msgrcv/msgsnd on the queue (pid $pid, thread $tid)";
    }
  }
  return "$cant: $unreadable" if $unreadable ne '';
  return "$cant: no task could be read" unless $tasks;
  return '';
}

sub probe_kind {
  my $kind = shift;
  my ($uid, $gid) = ($> + 0, (split ' ', $))[0] + 0);
  my $t0 = time;
  my ($id, $want);
  if ($kind eq 'sem') { $want = 3 + $$ % 5; $id = semget(0, $want, 0604 | $IPC_CREAT); }
  elsif ($kind eq 'shm') { $want = 4097 + $$ % 4000; $id = shmget(0, $want, 0604 | $IPC_CREAT); }
  else { $id = msgget(0, 0604 | $IPC_CREAT); }
  return why($kind . 'get(IPC_PRIVATE)', $!) unless defined $id;
  my $res = eval { probe_object($kind, $id, $want, $uid, $gid, $t0) };
  $res = 'the self-test died: ' . clean($@) unless defined $res;
  my $b = '';
  unless (defined ctl($kind, $id, $IPC_RMID, $b)) { $res .= ($res eq '' ? '' : '; ') . 'removing the throwaway object failed: ' . why("IPC_RMID of $kind $id", $!); }
  return $res;
}

sub probe_object {
  my ($kind, $id, $want, $uid, $gid, $t0) = @_;
  my $b = stat_of($kind, $id);
  return why("IPC_STAT of our own $kind", $!) unless defined $b;
  return "IPC_STAT of our own $kind returned " . length($b) . " bytes, the $arch layout says $L{$kind}{size}" if length($b) != $L{$kind}{size};
  my $t1 = time;
  my %exp = (key => 0, uid => $uid, gid => $gid, cuid => $uid, cgid => $gid);
  for my $k (sort keys %exp) { my $v = F($kind, $b, $k); return "$kind $k reads $v, expected $exp{$k}" if $v != $exp{$k}; }
  return sprintf('%s mode reads %o, expected 604', $kind, F($kind, $b, 'mode') & 0777) if (F($kind, $b, 'mode') & 0777) != 0604;
  my $ct = F($kind, $b, 'ctime');
  return "$kind ctime reads $ct, expected $t0..$t1" if $ct < $t0 || $ct > $t1;
  if ($kind eq 'sem') {
    return "sem nsems reads " . F($kind, $b, 'nsems') . ", expected $want" if F($kind, $b, 'nsems') != $want;
    return "sem otime reads " . F($kind, $b, 'otime') . ', expected 0' if F($kind, $b, 'otime') != 0;
    semop($id, pack('s!3', 1, 1, 0)) or return why('semop on our own set', $!);
    my $t2 = time;
    $b = stat_of($kind, $id) // return why('IPC_STAT', $!);
    my $ot = F($kind, $b, 'otime');
    return "sem otime reads $ot after our semop, expected $t0..$t2" if $ot < $t0 || $ot > $t2;
    my $p = semval($id, 1, $GETPID);
    return 'GETPID reads ' . ($p // 'an error') . " after our semop, expected $$" unless defined $p && $p == $$;
    my $v = semval($id, 1, $GETVAL);
    return 'GETVAL reads ' . ($v // 'an error') . ', expected 1' unless defined $v && $v == 1;
    for my $c ($GETNCNT, $GETZCNT) { my $n = semval($id, 0, $c); return "GETNCNT/GETZCNT ($c) failed on our own set" unless defined $n && $n == 0; }
  } elsif ($kind eq 'shm') {
    my %z = (segsz => $want, cpid => $$, lpid => 0, nattch => 0, atime => 0, dtime => 0);
    for my $k (sort keys %z) { my $v = F($kind, $b, $k); return "shm $k reads $v, expected $z{$k}" if $v != $z{$k}; }
    my $x;
    shmread($id, $x, 0, 1) or return why('shmread (attach + detach) of our own segment', $!);
    my $t2 = time;
    $b = stat_of($kind, $id) // return why('IPC_STAT', $!);
    return 'shm lpid reads ' . F($kind, $b, 'lpid') . " after our attach, expected $$" if F($kind, $b, 'lpid') != $$;
    return 'shm nattch reads ' . F($kind, $b, 'nattch') . ' after our detach, expected 0' if F($kind, $b, 'nattch') != 0;
    for my $k (qw(atime dtime)) { my $v = F($kind, $b, $k); return "shm $k reads $v after our attach, expected $t0..$t2" if $v < $t0 || $v > $t2; }
  } else {
    my %z = (qnum => 0, cbytes => 0, lspid => 0, lrpid => 0, stime => 0, rtime => 0);
    for my $k (sort keys %z) { my $v = F($kind, $b, $k); return "msg $k reads $v, expected 0" if $v != 0; }
    my $qb = F($kind, $b, 'qbytes');
    if (open(my $fh, '<', '/proc/sys/kernel/msgmnb')) { my $m = <$fh>; close $fh; return "msg qbytes reads $qb, msgmnb is $m" if defined $m && $m =~ /^(\d+)/ && $qb != $1; }
    return "msg qbytes reads $qb" if $qb <= 0;
    my $n = 5 + $$ % 50;
    msgsnd($id, pack('l! a*', 1, 'x' x $n), $IPC_NOWAIT) or return why('msgsnd to our own queue', $!);
    my $t2 = time;
    $b = stat_of($kind, $id) // return why('IPC_STAT', $!);
    my %s = (qnum => 1, cbytes => $n, lspid => $$);
    for my $k (sort keys %s) { my $v = F($kind, $b, $k); return "msg $k reads $v after our msgsnd, expected $s{$k}" if $v != $s{$k}; }
    my $st = F($kind, $b, 'stime');
    return "msg stime reads $st after our msgsnd, expected $t0..$t2" if $st < $t0 || $st > $t2;
    my $m;
    defined msgrcv($id, $m, 4096, 0, $IPC_NOWAIT) or return why('msgrcv from our own queue', $!);
    my $t3 = time;
    $b = stat_of($kind, $id) // return why('IPC_STAT', $!);
    my %r = (qnum => 0, cbytes => 0, lrpid => $$);
    for my $k (sort keys %r) { my $v = F($kind, $b, $k); return "msg $k reads $v after our msgrcv, expected $r{$k}" if $v != $r{$k}; }
    my $rt = F($kind, $b, 'rtime');
    return "msg rtime reads $rt after our msgrcv, expected $t0..$t3" if $rt < $t0 || $rt > $t3;
  }
  # IPC_SET through our layout: the mode changes, nothing else does
  set_of($kind, $id, withmode($b, 0640)) or return why("IPC_SET (mode 640) of our own $kind", $!);
  my $a = stat_of($kind, $id) // return why('IPC_STAT after IPC_SET', $!);
  return sprintf('%s mode reads %o after IPC_SET 640', $kind, F($kind, $a, 'mode') & 0777) if (F($kind, $a, 'mode') & 0777) != 0640;
  for my $k (qw(key uid gid cuid cgid)) { return "$kind $k changed after IPC_SET" if F($kind, $a, $k) != F($kind, $b, $k); }
  return '';
}

sub probe {
  # the throwaway objects are removed even if the session goes away meanwhile
  $SIG{$_} = 'IGNORE' for qw(HUP PIPE INT TERM QUIT);
  print "\@\@section lock\n";
  unless ($layout) { print 'unlocked no verified struct layout for perl ' . clean($arch) . " (64-bit Linux x86_64, aarch64, riscv64 are known)\n"; return; }
  unless ($^O eq 'linux') { print 'unlocked not Linux (' . clean($^O) . ")\n"; return; }
  for my $kind (qw(sem shm msg)) {
    my $r = probe_kind($kind);
    if ($r ne '') { print "unlocked the lock self-test failed: $r\n"; return; }
  }
  my $q = quiesce();
  print 'locked ' . ($layout == 1 ? 'x86_64' : 'generic64') . " $q\n";
}

# ----- removal -----------------------------------------------------------------------------------------
my $done = 0;
sub result { print "\@\@result $_[0]\n"; $done = 1; }

# What differs from the expectation (name=value; -1 = not checked): '' or the first difference.
sub differs {
  my ($kind, $id, $b, $x, $with_ctime) = @_;
  my $key = F($kind, $b, 'key');
  return "key is now $key" if $key != $x->{key};
  return 'ctime is now ' . F($kind, $b, 'ctime') if $with_ctime && F($kind, $b, 'ctime') != $x->{ctime};
  my @names = $kind eq 'sem' ? qw(otime) : $kind eq 'shm' ? qw(nattch cpid lpid atime dtime) : qw(qnum cbytes lspid lrpid stime rtime);
  for my $n (@names) {
    next unless defined $x->{$n} && $x->{$n} != -1;
    my $v = F($kind, $b, $n);
    return "$n is now $v (was $x->{$n})" if $v != $x->{$n};
  }
  if ($kind eq 'sem') {
    my $ns = F($kind, $b, 'nsems');
    my @pids = defined $x->{sempids} && $x->{sempids} ne '' ? split(/,/, $x->{sempids}) : ();
    return "nsems is now $ns" if @pids && $ns != @pids;
    for my $i (0 .. $ns - 1) {
      if ($x->{nowaiters}) {
        for my $c ($GETNCNT, $GETZCNT) {
          my $w = semval($id, $i, $c);
          return 'cannot read the waiters: ' . why('semctl GETNCNT/GETZCNT', $!) unless defined $w;
          return "a process is waiting on semaphore $i" if $w != 0;
        }
      }
      if (@pids) {
        my $p = semval($id, $i, $GETPID);
        return 'cannot read the last-op pids: ' . why('semctl GETPID', $!) unless defined $p;
        return "the last-op pid of semaphore $i is now $p (was $pids[$i])" if $p != $pids[$i];
      }
    }
  }
  if ($kind eq 'msg') { my $q = blocked_on_queue($id); return $q if $q ne ''; }
  return '';
}

sub remove {
  my ($want_layout, $kind, $id, $key, $ctime, @kv) = @_;
  my %x = (key => $key, ctime => $ctime);
  for (@kv) { my ($k, $v) = split /=/, $_, 2; $x{$k} = $v; }
  return result('changed this host\'s perl no longer matches the layout its lock self-test verified; refresh the host')
    if $layout != $want_layout || !$L{$kind};
  my $before = stat_of($kind, $id);
  unless (defined $before) {
    return result('gone') if $! == POSIX::EINVAL() || $! == POSIX::EIDRM();
    return result('failed ' . why("IPC_STAT of $kind $id", $!) . '; nothing was removed');
  }
  return result('failed IPC_STAT returned ' . length($before) . ' bytes; nothing was removed') if length($before) != $L{$kind}{size};
  my $d = differs($kind, $id, $before, \%x, 1);
  return result("changed $d") if $d ne '';

  # LOCK: mode 0, owner and group kept. From here the program finishes (removes, or restores the mode) even
  # if the SSH session goes away: hangup, a closed pipe and interrupts are ignored; only SIGKILL or a crash
  # of the host can leave the object at mode 0.
  $SIG{$_} = 'IGNORE' for qw(HUP PIPE INT TERM QUIT);
  my $orig = F($kind, $before, 'mode') & 0777;
  my ($ouid, $ogid) = (F($kind, $before, 'uid'), F($kind, $before, 'gid'));
  my $lockmode = 0;
  set_of($kind, $id, withmode($before, 0)) or return result('failed cannot lock the object before removal: ' . why('IPC_SET mode 0', $!) . '; nothing was removed');
  my $ours = sub { my $b = shift; return (F($kind, $b, 'mode') & 0777) == $lockmode && F($kind, $b, 'uid') == $ouid && F($kind, $b, 'gid') == $ogid; };
  my $restore = sub {
    my $now = stat_of($kind, $id);
    return ' (the object is gone)' unless defined $now;
    return ' (its permissions were changed by someone else meanwhile; left as they are)' unless $ours->($now);
    return sprintf('; restoring mode 0%03o failed: %s', $orig, why('IPC_SET', $!)) unless set_of($kind, $id, withmode($now, $orig));
    return sprintf('; mode restored to 0%03o', $orig);
  };
  quiesce();
  my $fifo = $ENV{IPCX_TEST_LOCK_PAUSE_FIFO};
  if (defined $fifo && -p $fifo) {
    # test hook (an environment variable naming an existing fifo): hold the lock until the test has acted and
    # writes a line to the fifo. It can only delay this removal; the object stays locked meanwhile.
    if (open(my $fh, '<', $fifo)) { my $l = <$fh>; close $fh; }
  }
  my $locked = stat_of($kind, $id);
  unless (defined $locked) {
    if ($! != POSIX::EACCES()) { return result('failed ' . why('IPC_STAT after the lock', $!) . '; nothing was removed' . $restore->()); }
    # a non-root owner cannot read its own object at mode 0: owner-read only
    $lockmode = 0400;
    set_of($kind, $id, withmode($before, 0400)) or return result('failed ' . why('IPC_SET mode 0400', $!) . '; nothing was removed' . $restore->());
    quiesce();
    $locked = stat_of($kind, $id);
    return result('failed ' . why('IPC_STAT after the lock', $!) . '; nothing was removed' . $restore->()) unless defined $locked;
  }
  return result('changed key changed while locking' . $restore->()) if F($kind, $locked, 'key') != $key;
  return result('changed permissions changed by someone else (a concurrent IPC_SET) while locking' . $restore->()) unless $ours->($locked);
  my $lctime = F($kind, $locked, 'ctime');
  # VERIFY: everything the plan saw, again, now that no process without CAP_IPC_OWNER can start an operation
  $d = differs($kind, $id, $locked, \%x, 0);
  return result("changed $d while locked" . $restore->()) if $d ne '';
  my $last = stat_of($kind, $id);
  return result('failed ' . why('IPC_STAT', $!) . '; nothing was removed' . $restore->()) unless defined $last;
  return result('changed changed by someone else while locked (IPC_SET: mode/uid/gid or ctime differ from our lock)' . $restore->())
    unless $ours->($last) && F($kind, $last, 'ctime') == $lctime;
  # REMOVE
  my $z = '';
  return result('failed ' . why("IPC_RMID of $kind $id", $!) . $restore->()) unless defined ctl($kind, $id, $IPC_RMID, $z);
  return result('ok locked');
}

# ----- restore ----------------------------------------------------------------------------------------
# Puts back the mode of an object an interrupted removal left locked, only while it is exactly that: the same
# key, owner and group, a lock mode (0, or 0400 of a non-root owner) and the ctime the caller read (the one the
# lock's IPC_SET set; any later IPC_SET by someone else moves it).
sub restore_lock {
  my ($want_layout, $kind, $id, $key, $uid, $gid, $mode, $ctime) = @_;
  return result('changed this host\'s perl no longer matches the layout its lock self-test verified; refresh the host')
    if $layout != $want_layout || !$L{$kind};
  my $now = stat_of($kind, $id);
  unless (defined $now) {
    return result('gone') if $! == POSIX::EINVAL() || $! == POSIX::EIDRM();
    return result('failed ' . why("IPC_STAT of $kind $id", $!) . ($! == POSIX::EACCES() ? '; a lock with mode 0 can only be checked and restored by root' : ''));
  }
  return result('failed IPC_STAT returned ' . length($now) . ' bytes') if length($now) != $L{$kind}{size};
  return result('changed key is now ' . F($kind, $now, 'key') . ' (another object)') if F($kind, $now, 'key') != $key;
  return result('changed owner changed since the lock') if F($kind, $now, 'uid') != $uid || F($kind, $now, 'gid') != $gid;
  my $m = F($kind, $now, 'mode') & 0777;
  return result(sprintf('changed not locked any more (mode 0%03o)', $m)) unless $m == 0 || $m == 0400;
  return result('changed ctime is now ' . F($kind, $now, 'ctime') . " (expected $ctime: changed since it was checked)") if F($kind, $now, 'ctime') != $ctime;
  set_of($kind, $id, withmode($now, $mode & 0777)) or return result('failed ' . why('IPC_SET', $!));
  return result('ok restored');
}

my $op = shift @ARGV // '';
if ($op eq 'probe') { probe(); }
elsif ($op eq 'restore') { unless (eval { restore_lock(@ARGV); 1 }) { result('failed the restore program died: ' . clean($@)) unless $done; } }
elsif ($op eq 'remove') { unless (eval { remove(@ARGV); 1 }) { result('failed the removal program died: ' . clean($@) . '; the object may be left at mode 0') unless $done; } }
print "\@\@end\n";
`;

/** The self-test: `@@ipcx-lockprobe 1`, `@@section lock` with `locked LAYOUT QUIESCE` or `unlocked REASON`. */
export function lockProbeScript(): string {
  return [
    'LC_ALL=C; export LC_ALL',
    'PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; export PATH',
    "echo '@@ipcx-lockprobe 1'",
    'if [ "$(uname -s 2>/dev/null)" != Linux ]; then echo "@@section lock"; echo "unlocked not Linux (ipcs/ipcrm only)"; echo "@@end"; exit 0; fi',
    'if ! command -v perl >/dev/null 2>&1; then echo "@@section lock"; echo "unlocked perl not found"; echo "@@end"; exit 0; fi',
    "out=$(perl - probe 2>&1 <<'IPCX_PERL'",
    LOCK_PERL + 'IPCX_PERL',
    ')',
    'case "$out" in',
    '  "@@section lock"*"@@end") printf \'%s\\n\' "$out" ;;',
    '  *) echo "@@section lock"; printf \'%s\' "unlocked perl failed: $out" | tr -c \'\\040-\\176\' \' \' | cut -c1-300; echo; echo "@@end" ;;',
    'esac',
    '',
  ].join('\n');
}

/** What the restore of a lock left by an interrupted removal re-checks on the host (all integers). */
export interface LockedRestore {
  kind: 'sem' | 'shm' | 'msg';
  id: number;
  key: number;
  uid: number;
  gid: number;
  /** the original mode to put back */
  mode: number;
  /** the ctime read now (the lock's IPC_SET set it) */
  ctime: number;
  layout: LockLayout;
}

function assertUid(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be an integer in 0..4294967295, got ${String(v)}`);
  return v;
}

/** The restore of one locked object: `@@ipcx-remove 1` + one `@@result ok|gone|changed|failed` line. */
export function restoreScriptLocked(c: LockedRestore): string {
  if (!['sem', 'shm', 'msg'].includes(c.kind)) throw new RangeError(`kind must be sem, shm or msg, got ${String(c.kind)}`);
  if (!Number.isInteger(c.mode) || c.mode < 0 || c.mode > 0o777) throw new RangeError(`mode must be 0..0777, got ${String(c.mode)}`);
  const args = [String(LAYOUT_CODE[c.layout] ?? 0), c.kind, String(assertId(c.id)), String(assertKey(c.key)), String(assertUid(c.uid, 'uid')), String(assertUid(c.gid, 'gid')), String(c.mode), String(assertTime(c.ctime, 'ctime'))];
  return [
    'LC_ALL=C; export LC_ALL',
    'PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; export PATH',
    "echo '@@ipcx-remove 1'",
    'if ! command -v perl >/dev/null 2>&1; then echo "@@result failed perl is no longer available on the host; restore the mode by hand (ipcs, then a program calling IPC_SET)"; echo "@@end"; exit 0; fi',
    `perl - restore ${args.join(' ')} <<'IPCX_PERL'`,
    LOCK_PERL + 'IPCX_PERL',
    '',
  ].join('\n');
}

/** Everything the locked removal re-checks, all integers (-1 or absent = not checked). */
/** shm and msg: the activity fields the plan saw (ActivityFields). */
export interface LockedRemoveCheck extends ActivityFields {
  kind: 'sem' | 'shm' | 'msg';
  id: number;
  key: number;
  ctime: number;
  layout: LockLayout;
  /** sem */
  otime?: number;
  noWaiters?: boolean;
  semPids?: readonly number[];
}

const COUNTS = ['nattch', 'qnum', 'cbytes'] as const;
const PIDS = ['cpid', 'lpid', 'lspid', 'lrpid'] as const;
const TIMES = ['otime', 'atime', 'dtime', 'stime', 'rtime'] as const;

/** The locked removal of one object: `@@ipcx-remove 1` + one `@@result` line, as removeScriptLinux. */
export function removeScriptLocked(c: LockedRemoveCheck): string {
  if (!['sem', 'shm', 'msg'].includes(c.kind)) throw new RangeError(`kind must be sem, shm or msg, got ${String(c.kind)}`);
  const args: string[] = [String(LAYOUT_CODE[c.layout] ?? 0), c.kind, String(assertId(c.id)), String(assertKey(c.key)), String(assertTime(c.ctime, 'ctime'))];
  for (const n of COUNTS) if (c[n] !== undefined) args.push(`${n}=${assertTime(c[n], n)}`);
  for (const n of PIDS) if (c[n] !== undefined) args.push(`${n}=${assertId(c[n], n)}`);
  for (const n of TIMES) if (c[n] !== undefined && c[n] !== -1) args.push(`${n}=${assertTime(c[n], n)}`);
  if (c.noWaiters) args.push('nowaiters=1');
  if (c.semPids && c.semPids.length) args.push(`sempids=${c.semPids.map((p) => String(assertId(p, 'pid'))).join(',')}`);
  return [
    'LC_ALL=C; export LC_ALL',
    'PATH="$PATH:/usr/bin:/bin:/usr/sbin:/sbin"; export PATH',
    "echo '@@ipcx-remove 1'",
    'if ! command -v perl >/dev/null 2>&1; then echo "@@result changed perl is no longer available on the host (its lock self-test passed before); nothing was removed"; echo "@@end"; exit 0; fi',
    `perl - remove ${args.join(' ')} <<'IPCX_PERL'`,
    LOCK_PERL + 'IPCX_PERL',
    '',
  ].join('\n');
}
