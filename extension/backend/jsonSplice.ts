/**
 * JSON text of a document whose `sems` array is rendered elsewhere (the binding's semsJson/writeSemsJson), for
 * `ipcx snapshot --json`: building and stringifying 32,000 set objects costs more than reading them.
 */

/**
 * The JSON text of `doc` before and after its top-level `sems` value (which is left out): what goes around
 * the binding's JSON of the sets to make the whole document.
 */
export function jsonAroundSems<T extends object>(doc: T, pretty = false): [string, string] {
  const marker = `\u0000ipcx-sems-${process.pid}-${Date.now()}\u0000`;
  const text = pretty ? JSON.stringify({ ...doc, sems: marker }, null, 2) : JSON.stringify({ ...doc, sems: marker });
  const quoted = JSON.stringify(marker);
  const at = text.indexOf(quoted);
  if (at < 0) throw new Error('jsonAroundSems: doc has no top-level sems');
  return [text.slice(0, at), text.slice(at + quoted.length)];
}

/**
 * JSON text of `doc` with its top-level `sems` replaced by pre-rendered JSON, as one Buffer: `JSON.parse` of
 * the result deep-equals `{...doc, sems: JSON.parse(semsJson)}`.
 */
export function stringifyWithSemsJson<T extends object>(doc: T, semsJson: Buffer, pretty = false): Buffer {
  const [before, after] = jsonAroundSems(doc, pretty);
  return Buffer.concat([Buffer.from(before), semsJson, Buffer.from(after)]);
}
