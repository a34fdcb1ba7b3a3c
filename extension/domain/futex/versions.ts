/**
 * glibc versions as a model parameter: what each release range does differently in its semaphore code
 * (FUTEX-SEMAPHORES.md §0 "Later fixes", §6 d3/d4), which model runs under which version, and the range a
 * version string such as "2.36" (gnu_get_libc_version, `ldd --version`) falls in.
 */
import { GLIBC_VERSIONS, type GlibcVersion, type ModelId, type OpKind, type Scenario } from './types';

export interface VersionTraits {
  /** `__pthread_testcancel()` at the entry of sem_wait and sem_timedwait (2.25+, BZ#18243). */
  entryTestcancel: boolean;
  /** cancellation is asynchronous around the futex syscall (<= 2.40): a cancel can act after the call
   *  returned 0, EAGAIN, ETIMEDOUT or EINTR (BZ#12683, fixed in 2.41). */
  asyncCancel: boolean;
  /** the 32-bit sem_post tests `(v << 1) == SEM_VALUE_MAX`, never true, so the count wraps (2.21, BZ#18434). */
  overflowShiftBug: boolean;
  /** sem_clockwait exists (2.30+; the range 2.25-2.40 includes 2.25-2.29, which lack it). */
  clockwait: boolean;
}

export const VERSION_TRAITS: Readonly<Record<GlibcVersion, VersionTraits>> = {
  '2.20': { entryTestcancel: false, asyncCancel: true, overflowShiftBug: false, clockwait: false },
  '2.21': { entryTestcancel: false, asyncCancel: true, overflowShiftBug: true, clockwait: false },
  '2.22-2.24': { entryTestcancel: false, asyncCancel: true, overflowShiftBug: false, clockwait: false },
  '2.25-2.40': { entryTestcancel: true, asyncCancel: true, overflowShiftBug: false, clockwait: true },
  '2.41+': { entryTestcancel: true, asyncCancel: false, overflowShiftBug: false, clockwait: true },
};

/** pg-futex: PostgreSQL's semaphore has no glibc code, no cancellation and no testcancel. */
const NO_GLIBC: VersionTraits = { entryTestcancel: false, asyncCancel: false, overflowShiftBug: false, clockwait: false };

export function traitsOf(v: GlibcVersion | null): VersionTraits {
  return v === null ? NO_GLIBC : VERSION_TRAITS[v];
}

/** The versions a model can run under: glibc-old is 2.20 only, glibc-new-* 2.21 and later, pg-futex none. */
export function versionsFor(model: ModelId): (GlibcVersion | null)[] {
  if (model === 'pg-futex') return [null];
  if (model === 'glibc-old') return ['2.20'];
  return GLIBC_VERSIONS.filter((v) => v !== '2.20');
}

/** The version a scenario runs under when none is asked for (scenario.glibc, else from asyncCancel). */
export function defaultGlibc(model: ModelId, sc: Pick<Scenario, 'glibc' | 'asyncCancel'>): GlibcVersion | null {
  if (model === 'pg-futex') return null;
  if (model === 'glibc-old') return '2.20';
  if (sc.glibc && sc.glibc !== '2.20') return sc.glibc;
  return sc.asyncCancel ? '2.25-2.40' : '2.41+';
}

/** Why a model cannot run under a version (null when it can). */
export function versionMismatch(model: ModelId, v: GlibcVersion | null): string | null {
  if (versionsFor(model).includes(v)) return null;
  if (model === 'pg-futex') return 'pg-futex is PostgreSQL\'s semaphore: it has no glibc version';
  if (model === 'glibc-old') return `glibc-old is the algorithm of glibc <= 2.20, not of glibc ${v}`;
  return v === null ? `${model} needs a glibc version` : `${model} is the algorithm of glibc >= 2.21, not of glibc ${v} (use glibc-old)`;
}

/** Why an operation does not exist in a model/version (null when it does). */
export function opMissing(model: ModelId, v: GlibcVersion | null, op: OpKind): string | null {
  if (op === 'sem_clockwait') {
    if (model === 'pg-futex') return 'PostgreSQL\'s semaphore has no sem_clockwait';
    if (!traitsOf(v).clockwait) return `sem_clockwait appeared in glibc 2.30; glibc ${v} has none`;
  }
  if (op === 'sem_getvalue' && model === 'pg-futex') return 'PostgreSQL\'s semaphore has no sem_getvalue';
  if (op === 'sem_post_broken' && model !== 'glibc-new-64') return 'sem_post_broken exists only in the glibc-new-64 model';
  return null;
}

/**
 * The range a version falls in: a range name ('2.25-2.40', '2.41+') as is, or a release such as '2.36',
 * '2.41.9000' or 'glibc 2.31' (as gnu_get_libc_version / ldd print it). Null for anything else, and for
 * releases before 2.20 (their semaphore is the 2.20 algorithm too, but not checked: 2.20 is used).
 */
export function glibcRange(text: string): GlibcVersion | null {
  const t = text.trim();
  if ((GLIBC_VERSIONS as readonly string[]).includes(t)) return t as GlibcVersion;
  const m = /^(?:glibc\s+)?(\d+)\.(\d+)(?:[.+~-][0-9A-Za-z.+~-]*)?$/i.exec(t);
  if (!m) return null;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 2) return null;
  if (minor <= 20) return '2.20';
  if (minor === 21) return '2.21';
  if (minor <= 24) return '2.22-2.24';
  if (minor <= 40) return '2.25-2.40';
  return '2.41+';
}

/** The version line of `ldd --version` ("ldd (Debian GLIBC 2.36-9+deb12u7) 2.36") or `getconf
 *  GNU_LIBC_VERSION` ("glibc 2.36"): the release, or null (musl's ldd, anything else). */
export function parseLibcVersionOutput(out: string): string | null {
  const first = out.split('\n').find((l) => l.trim().length > 0) ?? '';
  const m = /^ldd \(.*\) (\d+\.\d+(?:\.\d+)?)\s*$/.exec(first.trim()) ?? /^glibc (\d+\.\d+(?:\.\d+)?)\s*$/.exec(first.trim());
  return m ? m[1] : null;
}
