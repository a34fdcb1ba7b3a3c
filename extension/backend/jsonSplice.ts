/**
 * JSON text of a document some of whose top-level values are rendered elsewhere (the binding's semsJson and
 * writeSysvJson), for `ipcx snapshot --json`: building and stringifying 32,000 set objects costs more than
 * reading them.
 */

/**
 * The JSON text of `doc` around the values of `keys` (which are left out): keys.length + 1 texts, the first
 * before the first key's value, the last after the last one's. The keys must be top-level keys of `doc`,
 * in the order they appear in it.
 */
export function jsonAround<T extends object>(doc: T, keys: ReadonlyArray<keyof T & string>, pretty = false): string[] {
  const tag = `\u0000ipcx-${process.pid}-${Date.now()}`;
  const marked: Record<string, unknown> = { ...(doc as Record<string, unknown>) };
  const markers = keys.map((k, i) => {
    if (!(k in marked)) throw new Error(`jsonAround: doc has no top-level ${k}`);
    marked[k] = `${tag}-${i}\u0000`;
    return JSON.stringify(marked[k]);
  });
  const text = pretty ? JSON.stringify(marked, null, 2) : JSON.stringify(marked);
  const out: string[] = [];
  let from = 0;
  for (const [i, quoted] of markers.entries()) {
    const at = text.indexOf(quoted, from);
    if (at < 0) throw new Error(`jsonAround: ${keys[i]} is not after ${i ? keys[i - 1] : 'the start'}`);
    out.push(text.slice(from, at));
    from = at + quoted.length;
  }
  out.push(text.slice(from));
  return out;
}

/**
 * JSON text of `doc` with its top-level `sems` replaced by pre-rendered JSON, as one Buffer: `JSON.parse` of
 * the result deep-equals `{...doc, sems: JSON.parse(semsJson)}`.
 */
export function stringifyWithSemsJson<T extends { sems: unknown }>(doc: T, semsJson: Buffer, pretty = false): Buffer {
  const [before, after] = jsonAround(doc, ['sems'], pretty);
  return Buffer.concat([Buffer.from(before!), semsJson, Buffer.from(after!)]);
}
