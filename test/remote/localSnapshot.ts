// Prints the LOCAL snapshot (LocalSource: native binding or /proc fallback) as JSON. The remote
// tests run it with `nsenter --target <namespace keeper>` so it lists the same namespace an sshd serves.
import { LocalSource } from '../../extension/backend/localSource';

new LocalSource().snapshot().then(
  (s) => process.stdout.write(JSON.stringify(s)),
  (e) => {
    process.stderr.write(String(e?.stack ?? e));
    process.exit(1);
  },
);
