/**
 * The ENOSPC doctor: would `semget(key, nsems)` (repeated `sets` times) succeed here, which limit blocks it,
 * how much recycling the current recyclable orphans would free, and whether that is enough. Optionally a
 * PostgreSQL sizing comparison.
 *
 * Pure. The kernel's rules (ipc/sem.c newary + ipc/util.c ipc_addid):
 *   nsems > SEMMSL                        -> EINVAL (not ENOSPC);
 *   used_sems + nsems > SEMMNS            -> ENOSPC;
 *   sets in use >= min(SEMMNI, IPCMNI)    -> ENOSPC.
 *
 * API for the VS Code command (commands/diagnoseEnospc.ts): `diagnoseSemget(snapshot, verdicts, {nsems, sets})`
 * then `formatDiagnosis(result)`.
 */
import type { IpcSnapshot, ObjectRef, Verdict } from '../shared/model';
import { pgSizing, type PgSettings, type PgSizing } from './pgSizing';
import { objectRef } from './verdict';
import { SYSCTL_PERSIST_FILE } from '../shared/limitDescriptors';

/** The kernel's id-space cap (IPCMNI; 16M with the `ipcmni_extend` boot option). */
export const IPCMNI = 32768;

export interface SemgetRequest {
  nsems: number;
  /** how many such sets (PostgreSQL creates several). Default 1. */
  sets?: number;
  /** compare with PostgreSQL's needs for these settings. */
  pg?: PgSettings;
}

export interface LimitCheck {
  limit: 'SEMMSL' | 'SEMMNI' | 'SEMMNS';
  /** what the request needs of it. */
  need: number;
  used: number;
  /** null when the host did not report the limit. */
  limitValue: number | null;
  /** limitValue - used (SEMMSL: the limit itself); null when the limit is not known. */
  free: number | null;
  ok: boolean;
  /** the errno semget would fail with when not ok (absent when the limit is not known). */
  errno?: 'ENOSPC' | 'EINVAL';
  /** the host did not report this limit: nothing can be told from it (never counted as ok). */
  unknown?: true;
  text: string;
}

export interface Diagnosis {
  request: { nsems: number; sets: number };
  usage: { sets: number; semaphores: number };
  checks: LimitCheck[];
  wouldSucceed: boolean;
  blockedBy: Array<LimitCheck['limit']>;
  /** limits the host did not report (FreeBSD/macOS ipcs and sysctl may leave some out): no answer from them. */
  unknownLimits: Array<LimitCheck['limit']>;
  /** what recycling the current recyclable orphan sets would free. */
  recycle: { sets: number; semaphores: number; refs: ObjectRef[] };
  /** orphan sets that recycle keeps (need a decision or a trust rule). */
  keptOrphans: { sets: number; semaphores: number };
  afterRecycle: { checks: LimitCheck[]; wouldSucceed: boolean; blockedBy: Array<LimitCheck['limit']> };
  /** true when recycling alone makes the request succeed. */
  recyclingIsEnough: boolean;
  advice: string[];
  pg?: PgSizing & { afterRecycle: PgSizing };
}

/**
 * The semaphore limits a snapshot does not know: those the host did not report (the ipcs-based sources,
 * FreeBSD and macOS, when neither `ipcs -S` nor `sysctl` printed them).
 */
export function unknownSemLimits(snapshot: IpcSnapshot): Array<LimitCheck['limit']> {
  const L = snapshot.limits;
  const out: Array<LimitCheck['limit']> = [];
  if (L.semmsl === undefined) out.push('SEMMSL');
  if (L.semmni === undefined) out.push('SEMMNI');
  if (L.semmns === undefined) out.push('SEMMNS');
  return out;
}

/** A limit as the advice prints it. */
function shown(v: number | undefined): string {
  return v === undefined ? 'not reported' : String(v);
}

/** Linux caps SEMMNI at IPCMNI; the BSD and macOS kernels have no such cap below their semmni. */
function idCap(snapshot: IpcSnapshot): number {
  return snapshot.platform === 'darwin' || snapshot.platform === 'freebsd' ? Infinity : IPCMNI;
}

/**
 * One limit's row. A limit the host did not report (`value` undefined) is never judged: the row is unknown,
 * neither ok nor blocking, with no errno; else `judge` tells what the reported value leaves free and whether
 * the request fits.
 */
function check(
  limit: LimitCheck['limit'], need: number, used: number, value: number | undefined,
  judge: (value: number) => { free: number; ok: boolean; text: string },
): LimitCheck {
  if (value === undefined) {
    return { limit, need, used, limitValue: null, free: null, ok: false, text: `${limit} not reported by this host: cannot tell`, unknown: true };
  }
  const c: LimitCheck = { limit, need, used, limitValue: value, ...judge(value) };
  if (!c.ok) c.errno = limit === 'SEMMSL' ? 'EINVAL' : 'ENOSPC';
  return c;
}

function checks(
  nsems: number, sets: number, used: { sets: number; semaphores: number },
  semmsl: number | undefined, semmni: number | undefined, semmns: number | undefined, cap = IPCMNI,
): LimitCheck[] {
  return [
    check('SEMMSL', nsems, 0, semmsl, (msl) => ({
      free: msl, ok: nsems <= msl,
      text: `SEMMSL ${msl}: ${nsems} semaphores per set ${nsems <= msl ? 'fit' : 'exceed it (semget fails with EINVAL)'}`,
    })),
    check('SEMMNI', sets, used.sets, semmni, (limit) => {
      const mni = Math.min(limit, cap);
      return {
        free: mni - used.sets, ok: used.sets + sets <= mni,
        text: `SEMMNI ${limit}${mni < limit ? ` (capped by IPCMNI ${cap})` : ''}: ${used.sets} sets in use, ${Math.max(0, mni - used.sets)} free, ${sets} needed`,
      };
    }),
    check('SEMMNS', sets * nsems, used.semaphores, semmns, (mns) => ({
      free: mns - used.semaphores, ok: used.semaphores + sets * nsems <= mns,
      text: `SEMMNS ${mns}: ${used.semaphores} semaphores in use, ${Math.max(0, mns - used.semaphores)} free, ${sets * nsems} needed`,
    })),
  ];
}

/** The rows that block the request: not ok, and reported (an unreported limit blocks nothing). */
function blocking(cs: readonly LimitCheck[]): LimitCheck[] {
  return cs.filter((c) => !c.ok && !c.unknown);
}

/**
 * The errno semget returns when these rows block it: Linux checks nsems against SEMMSL first (EINVAL), then
 * SEMMNS and SEMMNI (ENOSPC); so do the BSD and macOS kernels.
 */
function callErrno(rows: readonly LimitCheck[]): 'EINVAL' | 'ENOSPC' {
  return rows.some((c) => c.errno === 'EINVAL') ? 'EINVAL' : 'ENOSPC';
}

/** The blocking limits with their errno, each errno named once: "SEMMNI and SEMMNS (ENOSPC)", "SEMMSL (EINVAL) and SEMMNI (ENOSPC)". */
function blockersWithErrno(rows: readonly LimitCheck[]): string {
  const byErrno = new Map<string, string[]>();
  for (const c of rows) byErrno.set(c.errno ?? '', [...(byErrno.get(c.errno ?? '') ?? []), c.limit]);
  return [...byErrno].map(([errno, limits]) => `${limits.join(' and ')} (${errno})`).join(' and ');
}

/** What to raise a limit to: what the request needs, or the limit's current value when that is more. */
function atLeast(value: number | undefined, need: number): number {
  return value === undefined ? need : Math.max(value, need);
}

export function diagnoseSemget(snapshot: IpcSnapshot, verdicts: Map<ObjectRef, Verdict>, req: SemgetRequest): Diagnosis {
  const nsems = req.nsems;
  const sets = req.sets ?? 1;
  const L = snapshot.limits;
  const listed = { sets: snapshot.sems.length, semaphores: snapshot.sems.reduce((a, s) => a + s.nsems, 0) };
  // the kernel's own counts (SEM_INFO) when present; never fewer than what we listed
  const usage = { sets: Math.max(snapshot.usage.semSets, listed.sets), semaphores: Math.max(snapshot.usage.semTotal, listed.semaphores) };
  const unknown = unknownSemLimits(snapshot);
  const now = checks(nsems, sets, usage, L.semmsl, L.semmni, L.semmns, idCap(snapshot));
  const recycle = { sets: 0, semaphores: 0, refs: [] as ObjectRef[] };
  const kept = { sets: 0, semaphores: 0 };
  for (const s of snapshot.sems) {
    const v = verdicts.get(objectRef(s));
    if (!v || v.state !== 'orphan') continue;
    if (v.recyclable) {
      recycle.sets++;
      recycle.semaphores += s.nsems;
      recycle.refs.push(v.ref);
    } else {
      kept.sets++;
      kept.semaphores += s.nsems;
    }
  }
  const afterUsage = { sets: usage.sets - recycle.sets, semaphores: usage.semaphores - recycle.semaphores };
  const after = checks(nsems, sets, afterUsage, L.semmsl, L.semmni, L.semmns, idCap(snapshot));
  const blocked = (cs: LimitCheck[]) => blocking(cs).map((c) => c.limit);
  const d: Diagnosis = {
    request: { nsems, sets },
    usage,
    checks: now,
    wouldSucceed: now.every((c) => c.ok),
    blockedBy: blocked(now),
    unknownLimits: unknown,
    recycle,
    keptOrphans: kept,
    afterRecycle: { checks: after, wouldSucceed: after.every((c) => c.ok), blockedBy: blocked(after) },
    recyclingIsEnough: false,
    advice: [],
  };
  d.recyclingIsEnough = !d.wouldSucceed && d.afterRecycle.wouldSucceed;
  if (d.wouldSucceed) d.advice.push(`semget(key, ${nsems}) x ${sets} would succeed now.`);
  else if (unknown.length && !d.blockedBy.length) {
    const names = unknown.map((l) => `${snapshot.platform === 'darwin' ? 'kern.sysv.' : 'kern.ipc.'}${l.toLowerCase()}`);
    d.advice.push(`cannot tell whether semget(key, ${nsems}) x ${sets} would succeed: this host did not report ${unknown.join(', ')} ` +
      `(neither ipcs -S nor sysctl printed ${names.join(', ')}). Read them there: sysctl ${names.join(' ')}`);
    if (recycle.sets) d.advice.push(`recycling ${recycle.sets} orphan set(s) would free ${recycle.semaphores} semaphores.`);
  } else {
    const rows = blocking(now);
    d.advice.push(`semget(key, ${nsems}) x ${sets} would fail now: ${blockersWithErrno(rows)}.` +
      (rows.some((c) => c.errno === 'ENOSPC') ? ' ENOSPC here is not disk space.' : ''));
    if (d.blockedBy.includes('SEMMSL')) {
      const where = snapshot.platform === 'darwin' ? 'kern.sysv.semmsl' : snapshot.platform === 'freebsd' ? 'kern.ipc.semmsl' : 'first field of /proc/sys/kernel/sem';
      d.advice.push(`raise SEMMSL to at least ${nsems} (${where}); recycling cannot help with it.`);
    }
    if (recycle.sets) d.advice.push(`recycling ${recycle.sets} orphan set(s) would free ${recycle.semaphores} semaphores: ${d.recyclingIsEnough ? 'that is enough (ipcx recycle / "Recycle orphans")' : 'not enough on its own'}.`);
    else d.advice.push('no orphan set is provably safe to recycle.');
    if (kept.sets) d.advice.push(`${kept.sets} more orphan set(s) (${kept.semaphores} semaphores) are kept: no recognised owner proves whose they are; review them (trust rules / --include-unrecognized).`);
    if (!d.afterRecycle.wouldSucceed) {
      const a = after;
      const mniNeed = a[1].used + sets;
      const mnsNeed = a[2].used + sets * nsems;
      const raise = { msl: atLeast(L.semmsl, nsems), mns: atLeast(L.semmns, mnsNeed), mni: atLeast(L.semmni, mniNeed) };
      const line = `${raise.msl} ${raise.mns} ${shown(L.semopm)} ${raise.mni}`;
      if (snapshot.platform === 'darwin') {
        d.advice.push(`or raise the limits at boot: put kern.sysv.semmsl=${raise.msl}, kern.sysv.semmns=${raise.mns}, kern.sysv.semmni=${raise.mni} in /etc/sysctl.conf (or a LaunchDaemon plist that runs sysctl at boot) and reboot (now ${shown(L.semmsl)} ${shown(L.semmns)} ${shown(L.semmni)}); macOS takes them only before the first semaphore set exists, so on a running system sysctl -w answers "Invalid argument".`);
      } else if (snapshot.platform === 'freebsd') {
        d.advice.push(`or raise the limits: they are boot-time tunables on FreeBSD: put kern.ipc.semmsl=${raise.msl}, kern.ipc.semmns=${raise.mns}, kern.ipc.semmni=${raise.mni} in /boot/loader.conf and reboot (now ${shown(L.semmsl)} ${shown(L.semmns)} ${shown(L.semmni)}).`);
      } else {
        d.advice.push(`or raise the limits: sysctl -w kernel.sem="${line}" (now "${shown(L.semmsl)} ${shown(L.semmns)} ${shown(L.semopm)} ${shown(L.semmni)}": SEMMSL SEMMNS SEMOPM SEMMNI); to keep it after a reboot, put "kernel.sem = ${line}" in ${SYSCTL_PERSIST_FILE}.`);
      }
    }
  }
  if (req.pg) {
    const p = pgSizing(req.pg, L, usage);
    d.pg = { ...p, afterRecycle: pgSizing(req.pg, L, afterUsage) };
  }
  return d;
}

/**
 * The one-paragraph answer for `host` (the extension's notification): would the request succeed, and when
 * not, the errno and the limits that block it (only those: an unreported limit blocks nothing) or the
 * limits the host did not report.
 */
export function diagnosisHeadline(d: Diagnosis, host: string): string {
  const { nsems, sets } = d.request;
  const call = `semget(IPC_PRIVATE, ${nsems})${sets > 1 ? ` x ${sets}` : ''}`;
  if (d.wouldSucceed) return `${call} would succeed on ${host} now. ${d.checks.map((c) => c.text).join('; ')}.`;
  if (!d.blockedBy.length && d.unknownLimits.length) {
    return `Cannot tell whether ${call} would succeed on ${host}: it did not report ${d.unknownLimits.join(', ')}. ${d.advice[0] ?? ''}`;
  }
  const rows = blocking(d.checks);
  // one errno: the call's; more (SEMMSL with SEMMNI or SEMMNS): each limit's, as the call names only the first
  const blockers = new Set(rows.map((c) => c.errno)).size > 1 ? blockersWithErrno(rows) : d.blockedBy.join(' and ');
  return `${call} would fail on ${host} now with ${callErrno(rows)}: blocked by ${blockers} ` +
    `(${rows.map((c) => c.text).join('; ')}).${d.recyclingIsEnough ? ' Recycling the provable orphans would be enough.' : ''}`;
}

export function formatDiagnosis(d: Diagnosis): string {
  const out: string[] = [];
  out.push(`Would semget(key, ${d.request.nsems}) x ${d.request.sets} succeed? ${d.wouldSucceed ? 'YES' : d.blockedBy.length ? `NO - blocked by ${d.blockedBy.join(', ')}` : `UNKNOWN - not reported by this host: ${d.unknownLimits.join(', ')}`}`);
  for (const c of d.checks) out.push(`  ${c.ok ? 'ok ' : c.unknown ? '?  ' : 'BAD'} ${c.text}`);
  out.push(`Recyclable orphans: ${d.recycle.sets} set(s), ${d.recycle.semaphores} semaphores.`);
  out.push(`After recycling: ${d.afterRecycle.wouldSucceed ? 'YES, it would succeed' : d.afterRecycle.blockedBy.length ? `still NO - ${d.afterRecycle.blockedBy.join(', ')}` : 'UNKNOWN'}`);
  for (const c of d.afterRecycle.checks) out.push(`  ${c.ok ? 'ok ' : c.unknown ? '?  ' : 'BAD'} ${c.text}`);
  if (d.pg) {
    out.push('');
    out.push(`PostgreSQL ${d.pg.settings.version} sizing: ${d.pg.needs.formula}`);
    for (const c of d.pg.checks) {
      out.push(c.unknown
        ? `  ?   ${c.limit}: needs ${c.need}, limit not reported by this host: cannot tell`
        : `  ${c.ok ? 'ok ' : 'BAD'} ${c.limit}: needs ${c.need}, ${c.limit === 'SEMMSL' ? 'limit' : 'available'} ${c.available} (limit ${c.limitValue})`);
    }
    const fits = (p: PgSizing) => (p.ok ? 'yes' : p.unknown ? 'cannot tell' : 'no');
    out.push(`  fits now: ${fits(d.pg)}; after recycling: ${fits(d.pg.afterRecycle)}`);
    for (const n of d.pg.needs.notes) out.push(`  note: ${n}`);
  }
  out.push('');
  for (const a of d.advice) out.push(a);
  return out.join('\n') + '\n';
}
