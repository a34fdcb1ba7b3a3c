// Prints a LOCAL snapshot as JSON. The remote tests run it with `nsenter --target <namespace keeper>` so it
// lists the same namespace an sshd serves. Argument `proc`: the /proc reader (ProcSource), which reads the
// same files the SSH probe reads; `headers`: LocalSource without semaphore values (as a probe snapshot);
// `native` (default): LocalSource (the native binding when it loads).
import { LocalSource } from '../../extension/backend/localSource';
import { ProcSource } from '../../extension/backend/procSource';

const mode = process.argv[2];
const source = mode === 'proc' ? new ProcSource() : new LocalSource({ values: mode !== 'headers' });
source.snapshot().then(
  (s) => process.stdout.write(JSON.stringify(s)),
  (e) => {
    process.stderr.write(String(e?.stack ?? e));
    process.exit(1);
  },
);
