// A statistics projector in a process of its own, on the built code: it reads its first batch and
// tells its parent (over IPC) just before it would save, then waits there to be killed.
const spec = JSON.parse(process.argv[2]);
const dist = new URL('../../dist/src/', import.meta.url);
const { projectStatistics } = await import(new URL('projection/statistics.js', dist).href);

async function openEngine() {
  if (spec.kind === 'sqlite') {
    const { SqliteEngine } = await import(new URL('engines/sqlite/engine.js', dist).href);
    return new SqliteEngine({ path: spec.path });
  }
  const { DynamoDbEngine } = await import(new URL('engines/dynamodb/engine.js', dist).href);
  const { localDynamoDbClient } = await import(new URL('engines/dynamodb/tables.js', dist).href);
  return new DynamoDbEngine({ client: localDynamoDbClient(spec.endpoint), tables: spec.tables });
}

const engine = await openEngine();
const crashing = new Proxy(engine, {
  get(target, name) {
    if (name === 'saveStatistics') {
      return (statistics, previousVersion) => {
        process.send({ savingFrom: previousVersion, counted: statistics.total_changesets });
        return new Promise(() => {});
      };
    }
    const value = Reflect.get(target, name);
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
await projectStatistics(crashing);
