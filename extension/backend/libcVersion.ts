/**
 * The glibc release of this machine, for the futex visualizer's version choice: Node's diagnostic report
 * records gnu_get_libc_version() as `header.glibcVersionRuntime` (absent on musl and other libcs), so no
 * process is spawned and the binding needs no new call. Read once per process (the report takes tens of ms).
 */
let cached: string | null | undefined;

export function localGlibcVersion(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: unknown } } | undefined)?.header;
    const v = header?.glibcVersionRuntime;
    if (typeof v === 'string' && /^\d+\.\d+(\.\d+)?$/.test(v)) cached = v;
  } catch {
    // no diagnostic report in this runtime: unknown, the model's default version is used
  }
  return cached;
}

/** A POSIX sh command that prints the glibc release on a remote host (for parseLibcVersionOutput): getconf's
 *  confstr first, ldd's first line otherwise; prints nothing on a libc that knows neither. */
export const REMOTE_GLIBC_PROBE = 'getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1 | head -n 1';
