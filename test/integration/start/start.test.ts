// `npm start` (tools/start.mjs) as a user runs it: the real command, the real code-server it starts. Checks that
// the server it leaves running refuses everyone without the password it printed: no workbench, no websocket,
// no session for a wrong password or a forged cookie; that the password is printed once and never appears in
// a process's argv (other users can read /proc/PID/cmdline); and that it listens on 127.0.0.1 only. Runs in
// plain node (no browser): the HTTP requests are what any local user, or a DNS-rebinding page, could send.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
  });
}

/** One HTTP request to the server; resolves with status, headers and body (redirects are not followed). */
interface Answer { status: number | undefined; headers: http.IncomingHttpHeaders; body: string }
function request(port: number, { method = 'GET', path: p = '/', headers = {}, body }: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.setTimeout(20000, () => req.destroy(new Error(`${method} ${p}: no answer in 20 s`)));
    if (body) req.write(body);
    req.end();
  });
}

/** A websocket upgrade as the workbench makes it; resolves with the HTTP status the server answered. */
function upgrade(port: number, headers: http.OutgoingHttpHeaders = {}): Promise<number | undefined | 'reset'> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/?reconnectionToken=ipcx-test&reconnection=false&skipWebSocketFrames=false',
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve('reset') : reject(e)));
    req.setTimeout(20000, () => req.destroy(new Error('upgrade: no answer in 20 s')));
    req.end();
  });
}

/** pids of every descendant of `pid` (from /proc/PID/stat ppid fields). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out: number[] = [];
  const walk = (p: number): void => { for (const [c, pp] of parent) if (pp === p) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

/** LISTEN sockets on `port` from /proc/net/tcp and tcp6: their local addresses as the kernel prints them. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const w = line.trim().split(/\s+/);
      if (w.length > 3 && w[3] === '0A' && w[1]?.endsWith(`:${hexPort}`)) out.push(`${path.basename(f)} ${w[1]}`);
    }
  }
  return out;
}

describe('npm start: the VS Code server is behind a password', function () {
  this.timeout(600000);
  let proc: ChildProcess | undefined;
  let output = '';
  let port = 0;
  let url = '';
  let password = '';

  before(async function () {
    port = await freePort();
    // detached: its own process group, so after() can end it and everything it started, and nothing else
    const child = spawn(process.execPath, [path.join(root, 'tools', 'start.mjs'), '--port', String(port)], {
      cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PASSWORD: '', HASHED_PASSWORD: '' },
    });
    proc = child;
    child.stdout.on('data', (d: Buffer) => { output += d; });
    child.stderr.on('data', (d: Buffer) => { output += d; });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`npm start did not print its URL in 9 min:\n${output.slice(-3000)}`)), 540000);
      const check = () => {
        const m = /IPC Explorer in VS Code: (http:\/\/127\.0\.0\.1:(\d+)\/)\s*\n\s*Password: (\S+)/.exec(output);
        if (m) { clearTimeout(t); url = m[1] ?? ''; password = m[3] ?? ''; resolve(); }
      };
      child.stdout.on('data', check);
      child.on('exit', (c) => { clearTimeout(t); reject(new Error(`npm start exited (${c}) before serving:\n${output.slice(-3000)}`)); });
    });
  });

  after(async function () {
    const child = proc;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid;
    const done = new Promise((r) => child.once('exit', r));
    process.kill(pid, 'SIGINT'); // start.mjs stops its code-server and exits
    const t = setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }, 15000);
    await done;
    clearTimeout(t);
  });

  it('prints the URL on 127.0.0.1 and a random password, once', function () {
    assert.equal(url, `http://127.0.0.1:${port}/`);
    assert.match(password, /^[A-Za-z0-9_-]{24}$/, 'a 144-bit random password');
    assert.equal(output.split(password).length - 1, 1, 'the password appears exactly once in the output');
  });

  it('listens on 127.0.0.1 only', function () {
    assert.deepEqual(listeners(port), [`tcp ${'0100007F'}:${port.toString(16).toUpperCase().padStart(4, '0')}`]);
  });

  it('the password is in no process\'s argv (other users can read /proc/PID/cmdline)', function () {
    assert.ok(proc?.pid !== undefined, 'npm start runs');
    const pids = [proc.pid, ...descendants(proc.pid)];
    assert.ok(pids.length >= 2, 'start.mjs and its code-server');
    for (const p of pids) {
      let cmd = '';
      try { cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { continue; }
      assert.ok(!cmd.includes(password), `pid ${p} has the password in its argv`);
    }
  });

  it('refuses an unauthenticated request: the workbench redirects to the login page', async function () {
    const r = await request(port, { path: '/' });
    assert.equal(r.status, 302, `GET / answered ${r.status}`);
    assert.match(r.headers.location || '', /login/);
    assert.doesNotMatch(r.body, /vs\/workbench|workbench\.js/);
    const forged = await request(port, { path: '/', headers: { Cookie: 'code-server-session=forged' } });
    assert.equal(forged.status, 302, 'a forged session cookie is refused too');
  });

  it('refuses an unauthenticated websocket (the channel the workbench, its terminal and extensions use)', async function () {
    const s = await upgrade(port);
    assert.notEqual(s, 101, 'no websocket without the session cookie');
  });

  it('a wrong password gets no session; the printed one does, and then the workbench loads', async function () {
    const wrong = await request(port, {
      method: 'POST', path: '/login', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'password=not-the-password',
    });
    assert.ok(!(wrong.headers['set-cookie'] || []).some((c) => c.startsWith('code-server-session=')), 'no session for a wrong password');
    const ok = await request(port, {
      method: 'POST', path: '/login', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `password=${encodeURIComponent(password)}`,
    });
    assert.equal(ok.status, 302, `login answered ${ok.status}`);
    const cookie = (ok.headers['set-cookie'] || []).find((c) => c.startsWith('code-server-session='));
    assert.ok(cookie, 'a session cookie');
    assert.match(cookie, /SameSite=(Lax|Strict)/i, 'a cross-site page cannot send it');
    const session = { Cookie: cookie.split(';')[0] };
    let page = await request(port, { path: '/', headers: session });
    // logged in, `/` may redirect to the folder to open (`./?folder=…`), never to the login page
    for (let hops = 0; page.status === 302 && hops < 3; hops++) {
      const to = new URL(page.headers.location ?? '', `http://127.0.0.1:${port}/`);
      assert.doesNotMatch(to.pathname, /login/, 'logged in, no redirect to the login page');
      page = await request(port, { path: to.pathname + to.search, headers: session });
    }
    assert.equal(page.status, 200, `GET / with the session answered ${page.status}`);
    assert.match(page.body, /workbench/);
  });
});
