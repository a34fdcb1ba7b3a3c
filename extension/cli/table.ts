/** Plain-text tables for `ipcx` human output: padded columns, numbers right-aligned, no colours. */

/**
 * Text from the system or a host (a /dev/shm name, a hostname, a command line) as it may reach a terminal:
 * control characters (C0, DEL, C1) become escapes, so a name cannot move the cursor, clear the screen,
 * set the window title or break a table line.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export interface Column {
  header: string;
  /** right-align (numbers) */
  right?: boolean;
}

/** Renders rows under headers; the last column is not padded (long text stays readable). */
export function renderTable(columns: Column[], rows: string[][], indent = ''): string {
  const widths = columns.map((c) => c.header.length);
  rows = rows.map((r) => r.map((c) => printable(c ?? '')));
  for (const r of rows) {
    for (let i = 0; i < columns.length; i++) widths[i] = Math.max(widths[i], (r[i] ?? '').length);
  }
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => {
        const v = cell ?? '';
        if (i === columns.length - 1 && !columns[i].right) return v;
        return columns[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n') + '\n';
}

/** `key: value` lines with aligned values. */
export function renderFields(fields: [string, string][], indent = ''): string {
  const w = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${indent}${(k ? k + ':' : '').padEnd(w + 1)} ${printable(v)}`).join('\n') + '\n';
}
