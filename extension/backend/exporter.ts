/**
 * `ipcx serve`: a Prometheus exporter. `/metrics` is this machine (plus the exporter's own process metrics);
 * `/probe?target=DEST` is an SSH host, the multi-target pattern of blackbox_exporter and snmp_exporter, so
 * one exporter watches agentless hosts.
 *
 * - A target is validated exactly as every SSH destination is (remote/hostName.ts parseHostSpec) and reaches
 *   ssh as one argv element after `--`; no shell is ever built from it. Only configured targets are probed
 *   unless `allowAnyTarget` (then at most MAX_DYNAMIC_TARGETS connections are kept).
 * - One collection per target at a time: scrapes that arrive while one runs share its result, so 100
 *   concurrent scrapes of a target cost one snapshot. At most `maxConcurrentProbes` targets are collected at
 *   once; a scrape that waits for a slot counts the wait into its timeout.
 * - A probe has a deadline (the smaller of `timeoutMs` and Prometheus's X-Prometheus-Scrape-Timeout-Seconds
 *   less half a second); a failed or late probe is answered with ipc_probe_success 0 and ipc_probe_error_info
 *   (HTTP 200, as blackbox_exporter does, so the failure is a series an alert can use), and one error line
 *   goes to the log when a target's error changes (and one when it recovers).
 * - Nothing a request carries can crash the process: every handler ends in a response.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { Counter, Gauge, Registry, collectDefaultMetrics, type RegistryContentType } from 'prom-client';
import { formatIpcMessage } from '../domain/errors';
import { failureMetrics, type MetricFamily } from '../domain/metrics';
import type { IpcErrorInfo } from '../shared/model';
import { parseHostSpec } from '../remote/hostName';
import type { HostEntry } from '../remote/hostSettings';
import { SshSource, type SshSourceOptions } from '../remote/sshSource';
import type { IpcSource } from './ipcSource';
import { LocalSource } from './localSource';
import { collectHostMetrics, type CollectOptions, type HostMetrics } from './metricsCollector';
import { contentType, joinExpositions, registryOf, type ExpositionFormat } from './metricsExposition';

export const MAX_DYNAMIC_TARGETS = 256;
/** seconds taken off Prometheus's scrape timeout so the answer arrives before Prometheus gives up. */
const SCRAPE_TIMEOUT_MARGIN = 0.5;

export interface ExporterOptions {
  host: string;
  port: number;
  /** configured SSH targets by their spec. */
  targets: HostEntry[];
  allowAnyTarget?: boolean;
  collect?: CollectOptions;
  /** deadline of one probe (ms); default 10 s. */
  timeoutMs?: number;
  /** targets collected at once; default 4. */
  maxConcurrentProbes?: number;
  ssh?: SshSourceOptions;
  log?: (line: string) => void;
  /** the source of /metrics; default a LocalSource. */
  localSource?: IpcSource;
  /**
   * /metrics collects this instead of the local source (`--all-namespaces`: every IPC namespace of this
   * machine, discovered anew on each collection); still one collection at a time, shared by the scrapes.
   */
  collectLocal?: (opts: CollectOptions) => Promise<HostMetrics>;
}

interface TargetState {
  source: IpcSource;
  collect?: (opts: CollectOptions) => Promise<HostMetrics>;
  inflight?: Promise<HostMetrics>;
  lastError?: string;
  lastUsed: number;
}

/** A counting semaphore: at most `n` holders; waiters queue in order. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = n;
  }
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

function errorLine(e: IpcErrorInfo): string {
  let m = e.message || formatIpcMessage(e);
  if (e.code && !m.includes(`(${e.code})`)) m += ` (${e.code})`;
  if (e.hint) m += ` \u2014 ${e.hint}`;
  return m.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** What the client accepts: OpenMetrics when it asks for it (Prometheus does), else the text format. */
export function negotiate(accept: string | undefined): ExpositionFormat {
  return /application\/openmetrics-text/i.test(accept ?? '') ? 'openmetrics' : 'prometheus';
}

export class Exporter {
  private server: http.Server | undefined;
  private readonly targets = new Map<string, TargetState>();
  private readonly configured: Map<string, HostEntry>;
  private readonly slots: Slots;
  /** the exporter's own metrics, in one registry per format (a registry has one content type). */
  private readonly self = { prometheus: new Registry<RegistryContentType>(), openmetrics: new Registry<RegistryContentType>() };
  private readonly requests: Array<Counter<'path' | 'code'>>;
  private readonly inFlight: Gauge[];
  private readonly probes: Array<Counter<'result'>>;
  private readonly log: (line: string) => void;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ExporterOptions) {
    this.configured = new Map(opts.targets.map((t) => [t.destination.spec, t]));
    this.slots = new Slots(Math.max(1, opts.maxConcurrentProbes ?? 4));
    this.log = opts.log ?? ((l) => process.stderr.write(l + '\n'));
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.self.openmetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    // one metric object per registry: prom-client renames a counter (drops _total) when it writes OpenMetrics
    const regs = [this.self.prometheus, this.self.openmetrics];
    for (const register of regs) {
      collectDefaultMetrics({ register });
      // gauges that prom-client names *_total, which the naming rules (and promtool check metrics) reserve for counters
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) register.removeSingleMetric(name);
    }
    this.requests = regs.map((r) => new Counter({ name: 'ipc_exporter_requests_total', help: 'HTTP requests served, by path and status code.', labelNames: ['path', 'code'] as const, registers: [r] }));
    this.inFlight = regs.map((r) => new Gauge({ name: 'ipc_exporter_collections_in_flight', help: 'Snapshots being collected right now (one per target at most).', registers: [r] }));
    this.probes = regs.map((r) => new Counter({ name: 'ipc_exporter_probes_total', help: 'Collections finished, by result (success, failure, timeout).', labelNames: ['result'] as const, registers: [r] }));
    const local: TargetState = { source: opts.localSource ?? new LocalSource(), lastUsed: Date.now() };
    if (opts.collectLocal) local.collect = opts.collectLocal;
    this.targets.set('local', local);
  }

  /** Starts listening; resolves with the bound address (port 0 = a free port). */
  start(): Promise<AddressInfo> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        // a bug, not an input: answer and keep serving
        this.log(`ipcx serve: internal error on ${JSON.stringify(req.url?.slice(0, 200))}: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) this.reply(res, '/internal', 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = Math.max(30_000, this.timeoutMs * 2);
    server.keepAliveTimeout = 30_000;
    server.maxHeadersCount = 64;
    server.maxConnections = 1024;
    server.on('clientError', (_e, socket) => socket.destroy());
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    for (const t of this.targets.values()) t.source.dispose?.();
    this.targets.clear();
  }

  private reply(res: http.ServerResponse, path: string, code: number, type: string, body: string): void {
    for (const c of this.requests) c.inc({ path, code: String(code) });
    res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = 'text/plain; charset=utf-8';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.reply(res, 'other', 405, text, 'only GET and HEAD\n');
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://exporter');
    } catch {
      return this.reply(res, 'other', 400, text, 'bad request URL\n');
    }
    const format = negotiate(req.headers['accept']);
    const deadline = this.deadline(req.headers['x-prometheus-scrape-timeout-seconds']);
    switch (url.pathname) {
      case '/':
        return this.reply(res, '/', 200, 'text/html; charset=utf-8', LANDING);
      case '/metrics': {
        const fams = await this.probe('local', deadline);
        const body = await joinExpositions([registryOf(fams, format), this.selfFor(format)], format);
        return this.reply(res, '/metrics', 200, contentType(format), body);
      }
      case '/probe': {
        const all = url.searchParams.getAll('target');
        if (all.length !== 1) return this.reply(res, '/probe', 400, text, 'give exactly one target: /probe?target=DEST\n');
        const target = all[0];
        const known = target === 'local' || this.configured.has(target) || this.targets.has(target);
        const p = parseHostSpec(target);
        if (!p.ok) return this.reply(res, '/probe', 400, text, `refusing target ${JSON.stringify(target.slice(0, 80))}: ${p.reason}\n`);
        if (!known && !this.opts.allowAnyTarget) {
          return this.reply(res, '/probe', 403, text, `unknown target ${JSON.stringify(target)}: configure it (--target or --targets-file) or start ipcx serve with --allow-any-target\n`);
        }
        const fams = await this.probe(target, deadline);
        const body = await registryOf(fams, format).metrics();
        return this.reply(res, '/probe', 200, contentType(format), body);
      }
      default:
        return this.reply(res, 'other', 404, text, 'not found: /metrics, /probe?target=DEST\n');
    }
  }

  private selfFor(format: ExpositionFormat): Registry<RegistryContentType> {
    return this.self[format];
  }

  private deadline(header: string | string[] | undefined): number {
    const v = Number(Array.isArray(header) ? header[0] : header);
    const fromHeader = Number.isFinite(v) && v > 0 ? Math.max(0.5, v - SCRAPE_TIMEOUT_MARGIN) * 1000 : Infinity;
    return Date.now() + Math.min(this.timeoutMs, fromHeader);
  }

  private state(target: string): TargetState {
    let st = this.targets.get(target);
    if (st) return st;
    const entry = this.configured.get(target);
    const dest = entry?.destination ?? (() => {
      const p = parseHostSpec(target);
      if (!p.ok) throw new Error(p.reason);
      return p.value;
    })();
    if (!entry && this.targets.size > MAX_DYNAMIC_TARGETS) this.evictOldest();
    st = { source: new SshSource(dest, { ...this.opts.ssh, sudo: entry?.sudo ?? this.opts.ssh?.sudo, timeoutMs: this.timeoutMs }), lastUsed: Date.now() };
    this.targets.set(target, st);
    return st;
  }

  private evictOldest(): void {
    let oldest: [string, TargetState] | undefined;
    for (const e of this.targets) {
      if (e[0] === 'local' || this.configured.has(e[0]) || e[1].inflight) continue;
      if (!oldest || e[1].lastUsed < oldest[1].lastUsed) oldest = e;
    }
    if (oldest) {
      oldest[1].source.dispose?.();
      this.targets.delete(oldest[0]);
    }
  }

  /** The families of one target, by the deadline: shared with a collection already running for it. */
  private async probe(target: string, deadline: number): Promise<MetricFamily[]> {
    const t0 = Date.now();
    const st = this.state(target);
    st.lastUsed = t0;
    if (!st.inflight) {
      st.inflight = (async () => {
        await this.slots.acquire();
        for (const g of this.inFlight) g.inc();
        try {
          const opts: CollectOptions = { ...this.opts.collect, ...(target === 'local' ? {} : { scope: { host: target } }) };
          return await (st.collect ? st.collect(opts) : collectHostMetrics(st.source, opts));
        } finally {
          for (const g of this.inFlight) g.dec();
          this.slots.release();
        }
      })().finally(() => {
        st.inflight = undefined;
      });
    }
    const scope = { host: target === 'local' ? undefined : target };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), Math.max(0, deadline - Date.now()));
    });
    const r = await Promise.race([st.inflight, late]);
    clearTimeout(timer);
    if (r === 'late') {
      for (const c of this.probes) c.inc({ result: 'timeout' });
      const error: IpcErrorInfo = {
        code: 'ETIMEDOUT', syscall: target === 'local' ? 'snapshot' : 'ssh',
        message: `${target}: no snapshot within ${((deadline - t0) / 1000).toFixed(1)} s`,
        hint: 'The host or its ssh is slow or hanging; raise --timeout (and the scrape_timeout) or check the host.',
      };
      this.noteError(target, st, error);
      return failureMetrics({ host: scope.host ?? os.hostname() }, error, (Date.now() - t0) / 1000);
    }
    for (const c of this.probes) c.inc({ result: r.error ? 'failure' : 'success' });
    if (r.error) this.noteError(target, st, r.error);
    else if (st.lastError !== undefined) {
      this.log(`ipcx serve: probe ${target}: ok again`);
      st.lastError = undefined;
    }
    return r.families;
  }

  private noteError(target: string, st: TargetState, e: IpcErrorInfo): void {
    const line = errorLine(e);
    if (line === st.lastError) return;
    st.lastError = line;
    this.log(`ipcx serve: probe ${target}: ${line}`);
  }
}


const LANDING = `<!doctype html><html><head><meta charset="utf-8"><title>ipcx serve</title></head><body>
<h1>IPC Explorer exporter</h1>
<p><a href="/metrics">/metrics</a>: this machine's System V and POSIX IPC objects, limits and orphans.</p>
<p><code>/probe?target=DEST</code>: the same for a configured SSH host (the multi-target pattern).</p>
</body></html>
`;
