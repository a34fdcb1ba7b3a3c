/** The operations outside the semaphore algorithms: sem_init, sem_destroy and the memory's lifetime. */
import { scenarioOf, type Ctx } from './ctx';
import { memoryFields } from './layout';
import type { OpKind, WordName } from './types';
import { GARBAGE, initMemory } from './words';

/** sem_init / sem_destroy / free / munmap / reuse: the same in every model. */
export function stepLifetime(c: Ctx, op: OpKind): boolean {
  const m = c.s.mem;
  const t = c.t;
  const spec = scenarioOf(c.s).threads[c.tid].ops[t.op];
  switch (op) {
    case 'sem_init': {
      const v = spec.value ?? 0;
      c.name('init', `sem_init(${v}): plain stores`);
      if (m.status !== 'live' && m.status !== 'destroyed') {
        if (!c.touch('the whole semaphore', true)) return true;
      }
      const fresh = initMemory(c.model, v, scenarioOf(c.s).initial.pshared);
      if (c.s.memoryModel === 'x86-tso') {
        // plain stores: into the store buffer, field by field in layout order
        c.s.mem.status = 'live';
        for (const f of memoryFields(c.model, fresh)) c.plainStore(f.name as WordName, f.value);
      } else c.s.mem = fresh;
      c.s.tokens = v;
      c.ret('0');
      return true;
    }
    case 'sem_destroy': {
      c.name('destroy', 'sem_destroy: touches no memory; the semaphore is dead from here on');
      const busy = c.s.threads.filter((x, i) => i !== c.tid && x.registered && x.status !== 'done');
      if (busy.length) {
        c.violate({
          kind: 'misuse', thread: t.name,
          message: `${t.name} destroys the semaphore while ${busy.map((x) => x.name).join(', ')} ${busy.length > 1 ? 'are' : 'is'} ` +
            'still waiting in sem_wait (undefined behaviour per POSIX)',
        });
      }
      if (m.status !== 'live') c.touch('the semaphore (destroy twice?)', false);
      else m.status = 'destroyed';
      c.ret('0');
      return true;
    }
    case 'free':
    case 'munmap':
      c.name(op, op === 'free' ? 'free(S): the block goes back to malloc (bytes stay, mapped)' : 'munmap(S): the page is gone');
      if (m.status === 'freed' || m.status === 'unmapped' || m.status === 'reused') {
        c.violate({ kind: 'assertion', thread: t.name, message: `${t.name} releases memory that was already released` });
      }
      m.status = op === 'free' ? 'freed' : 'unmapped';
      c.ret('0');
      return true;
    case 'reuse':
      c.name('reuse', 'malloc hands the block to another object, which overwrites it');
      if (m.status !== 'freed') {
        c.violate({ kind: 'assertion', thread: t.name, message: `${t.name} reuses memory that was not freed (${m.status})` });
      }
      if (c.s.memoryModel === 'x86-tso') {
        c.s.mem.status = 'reused';
        c.plainStore('value', GARBAGE.value);
        c.plainStore('private', GARBAGE.priv);
        c.plainStore('nwaiters', GARBAGE.nwaiters);
      } else c.s.mem = { status: 'reused', ...GARBAGE };
      c.ret('0');
      return true;
    default:
      return false;
  }
}
