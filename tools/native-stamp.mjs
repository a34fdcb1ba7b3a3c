// What the native binding was built from: a hash of native/binding.gyp, every file in native/src and the
// node version and architecture it was built for. tools/build-native.mjs writes it next to the binding after
// a successful build; test/run-all.mjs rebuilds when it differs (a pull or an edit changed the sources, or
// node was upgraded), so tests never run against a stale binding.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function nativeSourceHash(root) {
  const h = crypto.createHash('sha256').update(`${process.version} ${process.arch}\0`);
  const files = [path.join(root, 'native', 'binding.gyp')];
  const src = path.join(root, 'native', 'src');
  if (fs.existsSync(src)) for (const f of fs.readdirSync(src).sort()) files.push(path.join(src, f));
  for (const f of files) {
    if (!fs.statSync(f, { throwIfNoEntry: false })?.isFile()) continue;
    h.update(path.relative(root, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

export const stampFile = (root) => path.join(root, 'native', 'build', 'Release', 'ipc_native.source-hash');
