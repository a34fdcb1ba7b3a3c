/**
 * Scenario editor: threads × operations, model, initial value, pshared and the environment budget. Works on
 * a draft (plain data); "Apply" validates it with the same validator the host and CLI use.
 */
import { LIMITS, MODEL_IDS, OP_KINDS, type Budget, type ModelId, type OpKind, type Scenario } from '../../extension/domain/futex';

export interface Draft {
  id: string;
  title: string;
  description: string;
  model: ModelId;
  initial: { value: number; pshared: boolean };
  threads: { name: string; ops: { op: OpKind }[]; cancel?: boolean }[];
  budget: Budget;
  asyncCancel?: boolean;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function toDraft(sc: Scenario): Draft {
  return {
    id: sc.id === 'live' || /^[A-Za-z0-9_.-]+$/.test(sc.id) ? (sc.id.startsWith('custom') ? sc.id : `custom-${sc.id}`) : 'custom',
    title: sc.title,
    description: sc.description,
    model: sc.model,
    initial: { ...sc.initial },
    threads: sc.threads.map((t) => ({ name: t.name, ops: t.ops.map((o) => ({ op: o.op })), ...(t.cancel ? { cancel: true } : {}) })),
    budget: { ...sc.budget },
    ...(sc.asyncCancel ? { asyncCancel: true } : {}),
  };
}

/** (Re)builds the editor for a scenario; `apply` returns an error text or null. */
export function renderEditor(root: HTMLElement, sc: Scenario, apply: (d: Draft) => string | null): void {
  const d = toDraft(sc);
  const err = el('p', { class: 'error', role: 'alert', id: 'editor-error' });
  const build = (): void => {
    root.replaceChildren();
    const form = el('form', { 'aria-label': 'scenario editor', novalidate: '' });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      err.textContent = apply(d) ?? '';
    });
    const row = el('div', { class: 'ed-row' });
    const num = (label: string, value: number, max: number, set: (n: number) => void, id: string): HTMLLabelElement => {
      const l = el('label', {}, `${label} `);
      const i = el('input', { type: 'number', min: '0', max: String(max), value: String(value), id });
      i.addEventListener('input', () => set(Number(i.value)));
      l.append(i);
      return l;
    };
    const modelSel = el('select', { id: 'ed-model', 'aria-label': 'model' });
    for (const m of MODEL_IDS) modelSel.append(el('option', { value: m }, m));
    modelSel.value = d.model;
    modelSel.addEventListener('change', () => (d.model = modelSel.value as ModelId));
    const ml = el('label', {}, 'Model ');
    ml.append(modelSel);
    const ps = el('input', { type: 'checkbox', id: 'ed-pshared' });
    ps.checked = d.initial.pshared;
    ps.addEventListener('change', () => (d.initial.pshared = ps.checked));
    const pl = el('label', {}, 'pshared ');
    pl.append(ps);
    const ac = el('input', { type: 'checkbox', id: 'ed-async-cancel' });
    ac.checked = !!d.asyncCancel;
    ac.addEventListener('change', () => (d.asyncCancel = ac.checked));
    const al = el('label', { title: 'glibc 2.21 to 2.40: cancellation is asynchronous around the futex syscall (BZ#12683)' }, 'glibc < 2.41 cancellation ');
    al.append(ac);
    row.append(
      ml, num('Initial value', d.initial.value, LIMITS.value, (n) => (d.initial.value = n), 'ed-value'), pl,
      num('Spurious wake-ups', d.budget.spurious, LIMITS.budget, (n) => (d.budget.spurious = n), 'ed-spurious'),
      num('Weak-CAS failures', d.budget.weakCas, LIMITS.budget, (n) => (d.budget.weakCas = n), 'ed-weakcas'),
      num('Signals', d.budget.signals, LIMITS.budget, (n) => (d.budget.signals = n), 'ed-signals'), al,
    );
    form.append(row);
    const table = el('table', { class: 'ed-threads' });
    const cap = el('caption', {}, 'Threads (each runs its operations in order)');
    table.append(cap);
    d.threads.forEach((t, ti) => {
      const tr = el('tr');
      const nameTd = el('td');
      const name = el('input', { type: 'text', value: t.name, 'aria-label': `thread ${ti + 1} name`, maxlength: '12', size: '6' });
      name.addEventListener('input', () => (t.name = name.value));
      const cancel = el('input', { type: 'checkbox', 'aria-label': `thread ${t.name} is cancelled at some point` });
      cancel.checked = !!t.cancel;
      cancel.addEventListener('change', () => (t.cancel = cancel.checked));
      const cl = el('label', {}, ' cancel ');
      cl.append(cancel);
      nameTd.append(name, cl);
      const opsTd = el('td', { class: 'ed-ops' });
      t.ops.forEach((o, oi) => {
        const s = el('select', { 'aria-label': `thread ${t.name} operation ${oi + 1}` });
        for (const k of OP_KINDS) s.append(el('option', { value: k }, k));
        s.value = o.op;
        s.addEventListener('change', () => (o.op = s.value as OpKind));
        const rm = el('button', { type: 'button', 'aria-label': `remove operation ${oi + 1} of ${t.name}`, class: 'small' }, '×');
        rm.addEventListener('click', () => { t.ops.splice(oi, 1); build(); });
        opsTd.append(s, rm);
      });
      const add = el('button', { type: 'button', class: 'small', 'aria-label': `add an operation to ${t.name}` }, '+ op');
      add.disabled = t.ops.length >= LIMITS.ops;
      add.addEventListener('click', () => { t.ops.push({ op: 'sem_post' }); build(); });
      opsTd.append(add);
      const rmT = el('button', { type: 'button', class: 'small', 'aria-label': `remove thread ${t.name}` }, 'remove thread');
      rmT.addEventListener('click', () => { d.threads.splice(ti, 1); build(); });
      const actTd = el('td');
      actTd.append(rmT);
      tr.append(nameTd, opsTd, actTd);
      table.append(tr);
    });
    form.append(table);
    const addT = el('button', { type: 'button', id: 'ed-add-thread' }, '+ thread');
    addT.disabled = d.threads.length >= LIMITS.threads;
    addT.addEventListener('click', () => {
      let n = d.threads.length + 1;
      while (d.threads.some((t) => t.name === `T${n}`)) n++;
      d.threads.push({ name: `T${n}`, ops: [{ op: 'sem_wait' }] });
      build();
    });
    const applyBtn = el('button', { type: 'submit', id: 'ed-apply' }, 'Apply and reset the stepper');
    form.append(addT, applyBtn, err);
    root.append(form);
  };
  build();
}
