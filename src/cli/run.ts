// The executable entry: bin/rowkube.js loads the compiled form of this file.
import { main } from './main.js';

/** How long a finished command waits for the event loop to empty before it exits anyway. */
const EXIT_GRACE_MS = 5_000;

process.exitCode = await main(process.argv.slice(2));
// Every stage has stopped and stored its offsets. A Kafka client that kafkajs
// restarted on its own during an outage can still hold sockets open after its
// disconnect() (seen after a broker restart), which would keep the process
// alive for ever; the timer does not keep it alive itself (unref).
setTimeout(() => {
  process.stderr.write('rowkube: connections were still open after shutdown; exiting\n');
  process.exit();
}, EXIT_GRACE_MS).unref();
