/**
 * The DynamoDB emulator in a process of its own (`startDynamoProcess` in emulators.ts forks this
 * file): dynalite and LevelDB then run on another core than the handlers and the engine. It
 * serves `argv[2]` on `argv[3]`, reports its URL, answers requests for its operation counts, and
 * closes when its parent goes away, whether the parent stopped cleanly or was killed.
 */
import { type DynamoProcessMessage, startDynamo } from './emulators.ts';

const [dir, host] = process.argv.slice(2);
if (!dir || !host || !process.send) {
  console.error('usage: forked by startDynamoProcess with <data directory> <host>');
  process.exit(2);
}
const send = (m: DynamoProcessMessage) => process.send?.(m);
const dynamo = await startDynamo(dir, 0, host);
process.on('message', (m: { type: 'operations'; id: number }) => {
  if (m.type === 'operations') void dynamo.operations().then((operations) => send({ type: 'operations', id: m.id, operations }));
});
process.on('disconnect', () => void dynamo.close().finally(() => process.exit(0)));
send({ type: 'ready', url: dynamo.url, repair: dynamo.repair });
