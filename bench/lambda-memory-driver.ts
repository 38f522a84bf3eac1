/**
 * Run in a fresh node process by bench/lambda-memory.ts: loads one built Lambda bundle, invokes it
 * with the scenario's events, and prints what each invocation took (wall and CPU time) and the
 * process's peak memory, as JSON. It builds its events itself, so nothing else weighs on the heap.
 */
import { createRequire } from 'node:module';
import { proxyEvent } from './proxy-event.js';

interface Invocation {
  readonly label: string;
  readonly event: unknown;
}

const [bundlePath, bundle] = process.argv.slice(2) as [string, string];
const count = Number(process.env['EES_BENCH_INVOCATIONS'] ?? '10');

const events = (sequence: number): string =>
  JSON.stringify(Array.from({ length: 3 }, (_, index) => ({ type: 'ItemAdded', sku: `sku-${sequence}-${index}`, note: 'n'.repeat(290) })));

function invocations(): Invocation[] {
  switch (bundle) {
    case 'api':
      return [
        ...Array.from({ length: count }, (_, index) => ({
          label: 'append (1 KB changeset, new stream)',
          event: proxyEvent('POST', '/streams/{stream_id}', { streamId: `memory-${process.pid}-${index}`, query: { expected_last_changeset: '0' }, rawBody: `{"metadata":{"source":"bench"},"events":${events(index)}}` }),
        })),
        ...Array.from({ length: Math.ceil(count / 2) }, () => ({ label: 'global read, limit 1,000 (about 1 MB)', event: proxyEvent('GET', '/changesets', { query: { checkpoint: '0', limit: '1000' } }) })),
      ];
    case 'indexer': {
      const batch = Number(process.env['EES_BENCH_BATCH'] ?? '1000');
      const prefix = process.env['EES_BENCH_PREFIX'] ?? 'unindexed';
      return Array.from({ length: count }, (_, round) => ({
        label: `batch of ${batch} new changesets`,
        event: {
          Records: Array.from({ length: batch }, (_, index) => ({ eventName: 'INSERT', dynamodb: { Keys: { stream_id: { S: `${prefix}-${round * batch + index}` }, changeset_id: { N: '1' } } } })),
        },
      }));
    }
    case 'publisher':
      return Array.from({ length: count }, (_, round) => ({
        label: 'batch of 100 changesets (1 KB, 3 events)',
        event: {
          Records: Array.from({ length: 100 }, (_, index) => {
            const streamId = `published-${round}-${index}`;
            return {
              eventName: 'INSERT',
              dynamodb: {
                Keys: { stream_id: { S: streamId }, changeset_id: { N: '1' } },
                SequenceNumber: String(1e6 + round * 100 + index),
                NewImage: {
                  stream_id: { S: streamId },
                  changeset_id: { N: '1' },
                  first_event_id: { N: '1' },
                  last_event_id: { N: '3' },
                  events: { S: events(index) },
                  metadata: { S: '{"source":"bench"}' },
                  timestamp: { S: new Date().toISOString() },
                },
              },
            };
          }),
        },
      }));
    default:
      return Array.from({ length: count }, () => ({ label: 'statistics over the global order', event: {} }));
  }
}

const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;

const loadStarted = process.hrtime.bigint();
const loadCpu = process.cpuUsage();
const handler = (createRequire(import.meta.url)(bundlePath) as { handler: (event: unknown) => Promise<unknown> }).handler;
const load = { wallMs: Number(process.hrtime.bigint() - loadStarted) / 1e6, cpuMs: cpuMs(process.cpuUsage(loadCpu)) };
let peakHeapBytes = process.memoryUsage().heapUsed;
const results: { label: string; wallMs: number; cpuMs: number }[] = [];
for (const { label, event } of invocations()) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await handler(event);
  results.push({ label, wallMs: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: cpuMs(process.cpuUsage(cpu)) });
  peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
}
// maxRSS is in kilobytes.
console.log(JSON.stringify({ load, results, peakRssBytes: process.resourceUsage().maxRSS * 1024, peakHeapBytes }));
