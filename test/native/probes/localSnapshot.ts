// Prints the LocalSource snapshot of the namespaces it runs in, as JSON (the namespace tests run it under
// nsenter --ipc --mount to get the view from inside a namespace).
import { LocalSource } from '../../../extension/backend/localSource';

void new LocalSource().snapshot().then((s) => process.stdout.write(JSON.stringify(s)));
