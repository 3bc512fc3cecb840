import { connectRawProbe } from './raw-probe';

/**
 * A probe in its own process (so its clock keeps running whatever the collector's process does):
 * sends a one-sample batch every 50 ms and prints `ack <seq> <epoch ms>` as each ack arrives.
 * Usage: node ack-timer-probe.js <ingest url> <run>; stops on SIGTERM.
 */
async function main(): Promise<void> {
  const [url, run] = process.argv.slice(2);
  const probe = await connectRawProbe(url, run);
  let reported = 0;
  const timer = setInterval(() => {
    probe.sendBatch(1);
    for (; reported < probe.acks.length; reported++) process.stdout.write(`ack ${probe.acks[reported].seq} ${probe.acks[reported].at}\n`);
  }, 50);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void probe.close().then(() => process.exit(0));
  });
}

void main();
