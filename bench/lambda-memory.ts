/**
 * `--only=memory`: each built Lambda bundle's peak memory and time per invocation, measured in a
 * fresh node process per bundle against DynamoDB Local (and the SNS stand-in), and what that
 * implies at each memory size. Lambda cannot run here: the sizes are inferred from the measured CPU
 * time, since Lambda gives a function CPU in proportion to its memory (1,769 MB is one vCPU).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal } from '../src/dev/dynamodb-local.js';
import { DynamoDbEngine } from '../src/engines/dynamodb/engine.js';
import { GlobalIndexer } from '../src/engines/dynamodb/indexer.js';
import { tableNames } from '../src/engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../src/engines/dynamodb/tables.js';
import { LAMBDA_ENTRIES, lambdaCodeDirectory, type LambdaName } from '../stack/lambda-code.js';
import { MEMORY_SIZES } from '../stack/event-store.js';
import { PRICES } from './cost.js';
import { startSnsStandIn } from './sns-stand-in.js';

/** Lambda's memory at which a function has one full vCPU. */
export const ONE_VCPU_MB = 1769;
export const SIZES_MB = [128, 256, 512, 1024, 1769] as const;

export interface BundleMeasure {
  readonly name: LambdaName;
  readonly load: { wallMs: number; cpuMs: number };
  /** Per kind of invocation: the first (cold) and the median of the rest (warm). */
  readonly kinds: { label: string; firstWallMs: number; warmWallMs: number; warmCpuMs: number; count: number }[];
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Time at `sizeMb` if CPU time stretches by the missing share of a vCPU and waiting does not. */
export const inferredMs = (wallMs: number, cpuMs: number, sizeMb: number): number => Math.max(0, wallMs - cpuMs) + cpuMs * Math.max(1, ONE_VCPU_MB / sizeMb);

export async function measureLambdaMemory(smoke: boolean): Promise<BundleMeasure[]> {
  const local = await startDynamoDbLocal();
  const sns = await startSnsStandIn();
  const client = localDynamoDbClient(local.endpoint);
  const tables = tableNames(`bench-memory-${Date.now()}`);
  const seeded = smoke ? 20 : 2_000;
  const batch = smoke ? 10 : 1_000;
  try {
    await ensureTables(client, tables);
    // The global order to read: 1 KB changesets, indexed; and new ones for the indexer to index.
    const engine = new DynamoDbEngine({ client, tables });
    const body = JSON.stringify(Array.from({ length: 3 }, (_, index) => ({ type: 'ItemAdded', sku: `sku-${index}`, note: 'n'.repeat(290) })));
    const commitMany = async (prefix: string, total: number): Promise<void> => {
      for (let start = 0; start < total; start += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, total - start) }, (_, index) =>
            engine.commit({ streamId: `${prefix}-${start + index}`, expectation: { kind: 'changeset', value: 0 }, events: body, eventCount: 3, metadata: '{"source":"bench"}' }),
          ),
        );
      }
    };
    await commitMany('seeded', seeded);
    await new GlobalIndexer({ client, tables }).index(Array.from({ length: seeded }, (_, index) => ({ streamId: `seeded-${index}`, changesetId: 1 })));
    const indexerRounds = smoke ? 1 : 3;
    await commitMany('unindexed', batch * indexerRounds);

    const driver = join(fileURLToPath(new URL('.', import.meta.url)), 'lambda-memory-driver.js');
    const measures: BundleMeasure[] = [];
    for (const name of LAMBDA_ENTRIES) {
      const { stdout } = await promisify(execFile)(process.execPath, [driver, join(lambdaCodeDirectory(), name, 'index.js'), name], {
        maxBuffer: 1 << 24,
        env: {
          ...process.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          EES_EVENTS_TABLE: tables.events,
          EES_META_TABLE: tables.meta,
          EES_DYNAMODB_ENDPOINT: local.endpoint,
          EES_SNS_ENDPOINT: sns.endpoint,
          EES_CHANGESETS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench-changesets.fifo',
          EES_EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench-events.fifo',
          EES_BENCH_INVOCATIONS: String(name === 'indexer' ? indexerRounds : smoke ? 2 : 10),
          EES_BENCH_BATCH: String(batch),
          EES_BENCH_PREFIX: 'unindexed',
        },
      });
      // The last line: the handlers may log to stdout before it.
      const measured = JSON.parse(stdout.trim().split('\n').at(-1)!) as { load: BundleMeasure['load']; results: { label: string; wallMs: number; cpuMs: number }[]; peakRssBytes: number; peakHeapBytes: number };
      const labels = [...new Set(measured.results.map((result) => result.label))];
      measures.push({
        name,
        load: measured.load,
        kinds: labels.map((label) => {
          const runs = measured.results.filter((result) => result.label === label);
          const warm = runs.length > 1 ? runs.slice(1) : runs;
          return { label, firstWallMs: runs[0]!.wallMs, warmWallMs: median(warm.map((run) => run.wallMs)), warmCpuMs: median(warm.map((run) => run.cpuMs)), count: runs.length };
        }),
        peakRssMb: measured.peakRssBytes / 2 ** 20,
        peakHeapMb: measured.peakHeapBytes / 2 ** 20,
      });
    }
    return measures;
  } finally {
    client.destroy();
    await sns.close();
    await local.stop();
  }
}

export function renderLambdaMemory(measures: readonly BundleMeasure[]): string {
  const lines = [
    'Measured in-process (one fresh node process per bundle, this machine, DynamoDB Local):',
    '',
    '| bundle | invocation | first (cold) ms | warm ms | warm CPU ms | peak RSS MB | peak heap MB |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const measure of measures) {
    lines.push(`| ${measure.name} | module load | ${measure.load.wallMs.toFixed(0)} | | ${measure.load.cpuMs.toFixed(0)} | ${measure.peakRssMb.toFixed(0)} | ${measure.peakHeapMb.toFixed(0)} |`);
    for (const kind of measure.kinds) lines.push(`| | ${kind.label} (${kind.count}×) | ${kind.firstWallMs.toFixed(1)} | ${kind.warmWallMs.toFixed(1)} | ${kind.warmCpuMs.toFixed(1)} | | |`);
  }
  lines.push(
    '',
    `Inferred warm time per invocation at each memory size (CPU time × ${ONE_VCPU_MB} MB / size below one vCPU, waiting unchanged), and dollars per million invocations (duration and requests, arm64):`,
    '',
    `| bundle | invocation | ${SIZES_MB.map((size) => `${size} MB`).join(' | ')} |`,
    `|---|---|${SIZES_MB.map(() => '---').join('|')}|`,
  );
  for (const measure of measures) {
    for (const kind of measure.kinds) {
      const cells = SIZES_MB.map((size) => {
        const ms = inferredMs(kind.warmWallMs, kind.warmCpuMs, size);
        const dollars = (Math.ceil(ms) / 1000) * (size / 1024) * PRICES.lambdaPerGbSecond * 1e6 + PRICES.lambdaPerMillionRequests;
        return `${ms.toFixed(0)} ms, $${dollars.toFixed(2)}`;
      });
      lines.push(`| ${measure.name}${MEMORY_SIZES[measure.name] === undefined ? '' : ` (${MEMORY_SIZES[measure.name]} MB)`} | ${kind.label} | ${cells.join(' | ')} |`);
    }
    // Loading is CPU work (the files are in the page cache): wall time beyond CPU time here is other load on this machine.
    const cold = SIZES_MB.map((size) => `${inferredMs(measure.load.cpuMs, measure.load.cpuMs, size).toFixed(0)} ms`);
    lines.push(`| ${measure.name} | module load (cold start, CPU time stretched) | ${cold.join(' | ')} |`);
  }
  return lines.join('\n');
}
