/**
 * A FreeBSD/macOS host's probe document as HostFacts: `ipcs -a` (objects), `ipcs -M -S -Q` blocks and
 * `sysctl kern.ipc` / `kern.sysv` (limits), through ipcsParser, and `ps`/`kill -0` per pid. BSD ipcs prints
 * times as time of day only: they are placed on the host's clock (sections `now` and `tz`), exact for the
 * last 24 hours (ipcsParser's rule). Pure.
 */
import type { ProcessFact } from '../shared/model';
import type { HostFacts, ProcessEvidence } from './hostFacts';
import { buildBsdLimits, ipcsSemLimits, parseIpcsLimitBlocks, parseIpcsListing, parseSysctlLines, parseUtcOffset } from './ipcsParser';
import { firstLine, intOf, PID_MAX, snippet } from './probeDocument';
import type { ProbeHead } from './probeLinux';
import { buildProcessFact, unknownFact, type KillProbe } from './processFacts';

/**
 * Section `pids`: `p PID 1 COMM` (ps lists it; COMM may hold spaces, never a newline) or `q PID ENOENT
 * KILL` (ps does not list it: kill -0 tells dead from hidden, e.g. security.bsd.see_other_uids=0).
 */
function psEvidence(body: string, host: string): ProcessEvidence[] {
  const facts = new Map<number, ProcessFact>();
  const twice = new Set<number>();
  for (const line of body.split('\n')) {
    const m = /^p (\d{1,10}) 1 ?(.*)$/.exec(line);
    const q = /^q (\d{1,10}) ENOENT (ok|ESRCH|EPERM|other)$/.exec(line);
    if (!m && !q) continue;
    const pid = Number((m ?? q)![1]);
    if (pid > PID_MAX) continue; // no process has it: not a line of the probe's
    if (facts.has(pid)) twice.add(pid);
    if (m) {
      const fact: ProcessFact = { pid, alive: true, liveness: 'alive', livenessReason: `listed by ps -p ${pid}` };
      if (m[2].trim()) fact.comm = m[2].trim();
      facts.set(pid, fact);
    } else {
      const f = buildProcessFact({ pid, statCode: 'ENOENT', kill: q![2] as KillProbe }, undefined, 0, {});
      if (f.liveness === 'unknown') f.livenessReason = `not listed by ps, but kill -0 ${pid} ${q![2] === 'EPERM' ? 'says it exists (EPERM): another user\'s process hidden from ps' : `answered ${q![2]}`}`;
      else f.livenessReason = `not listed by ps -p ${pid}, and kill -0 ${pid}: No such process`;
      facts.set(pid, f);
    }
  }
  return [...facts.values()].map((fact) => ({
    fact: twice.has(fact.pid) ? unknownFact(fact.pid, `${host}: the probe reported pid ${fact.pid} more than once (conflicting lines)`) : fact,
  }));
}

/** An ipcs host's probe document -> HostFacts and the host's UTC offset (its CTIME column is a time of day). */
export function ipcsProbeFacts(
  sections: Map<string, string>,
  head: ProbeHead,
  extraPids: readonly number[] = [],
): { ok: true; facts: HostFacts; utcOffsetSeconds: number } | { ok: false; message: string } {
  const listing = sections.get('ipcs-a');
  if (listing === undefined) return { ok: false, message: 'the probe output lacks section "ipcs-a"' };
  const tz = parseUtcOffset(firstLine(sections.get('tz')));
  if (tz === undefined) return { ok: false, message: `section "tz" is not a UTC offset (date +%z): ${snippet(firstLine(sections.get('tz')))}` };
  const warnings = [...head.warnings];
  const clock = { now: Math.floor(head.takenAt / 1000), utcOffsetSeconds: tz };
  const hasTable = /^(Message Queues|Shared Memory|Semaphores):\s*$/m.test(listing) || /^T\s+ID\s+KEY\s/m.test(listing);
  if (!hasTable) {
    const t = listing.trim();
    if (/not configured|not available|facility/i.test(t)) {
      warnings.push(`ipcs: ${t.split('\n')[0]}`);
    } else {
      return { ok: false, message: `section "ipcs-a" is not ipcs -a output: ${snippet(t)}` };
    }
  }
  const l = parseIpcsListing(listing, { clock, source: `${head.host}: ipcs -a` });
  warnings.push(...l.warnings);
  if (l.approximateTimes) {
    warnings.push('ipcs prints times as time of day only: dates are placed within the last 24 hours of the host clock');
  }
  const pageSize = intOf(sections.get('pagesize'));
  const limits = buildBsdLimits(
    parseIpcsLimitBlocks(sections.get('ipcs-M') ?? ''),
    ipcsSemLimits(parseIpcsLimitBlocks(sections.get('ipcs-S') ?? ''), head.platform),
    parseIpcsLimitBlocks(sections.get('ipcs-Q') ?? ''),
    parseSysctlLines(sections.get('sysctl') ?? ''),
    pageSize !== undefined && pageSize > 0 ? { pagesize: pageSize } : {},
  );
  if (limits.missing.length) warnings.push(`limits not reported by this host (left out of the limits): ${limits.missing.join(', ')}`);
  const facts: HostFacts = {
    ...head,
    warnings,
    sysv: { kind: 'rows', sems: l.sems, shms: l.shms, msgs: l.msgs, qbytesListed: true },
    sysvErrors: l.errors,
    limits: { kind: 'parsed', limits: limits.limits },
    processes: psEvidence(sections.get('pids') ?? '', head.host),
    extraPids,
    clkTck: 0,
  };
  return { ok: true, facts, utcOffsetSeconds: tz };
}
