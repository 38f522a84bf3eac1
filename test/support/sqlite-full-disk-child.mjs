// A SQLite engine, on the built code, in a process whose files may not grow past the limit its
// parent set (ulimit -f): writes past it fail with EFBIG, as on a full disk. It commits a batch too
// large for the room left, then one small changeset, and prints the outcomes as one JSON line.
const [path] = process.argv.slice(2);
const { SqliteEngine } = await import(new URL('../../dist/src/engines/sqlite/engine.js', import.meta.url).href);

const changeset = (streamId, events) => ({ streamId, expectation: { kind: 'changeset', value: 0 }, events: JSON.stringify(events), eventCount: events.length, metadata: '{}' });
const engine = new SqliteEngine({ path });
const batch = await Promise.allSettled([changeset('a', ['small']), changeset('b', ['x'.repeat(300_000)]), changeset('c', ['small'])].map((request) => engine.commit(request)));
const after = await engine.commit(changeset('after', ['y'])).catch((error) => ({ error: String(error) }));
await engine.close();
console.log(JSON.stringify({ batch: batch.map((result) => (result.status === 'rejected' ? `rejected: ${result.reason}` : result.status)), after }));
