/**
 * Logs and metrics of the Lambda functions, with Powertools for AWS Lambda: one JSON line per log
 * entry (with the request id once the invocation's context is added), and metrics as CloudWatch
 * embedded metric format documents on stdout, which CloudWatch turns into metrics without an API
 * call. Powertools is bundled into the Lambda zips only: nothing the CLI loads imports this file.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRIC_NAMES, METRICS_NAMESPACE, type MetricName } from './metric-names.js';

export { METRIC_NAMES } from './metric-names.js';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

let shared: Observability | undefined;

/**
 * The container's logger and metrics. The service (a dimension of every metric, a key of every log
 * line) is the stack's name, from POWERTOOLS_SERVICE_NAME, which the stack sets.
 */
export function observability(): Observability {
  shared ??= {
    logger: new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'ees' }),
    metrics: new Metrics({ namespace: process.env['POWERTOOLS_METRICS_NAMESPACE'] ?? METRICS_NAMESPACE, serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'ees' }),
  };
  return shared;
}

/**
 * Runs one invocation with its context in the log lines, and writes the metrics it recorded as
 * one EMF document at its end, whether it succeeded or threw.
 */
export async function observed<T>(context: Context | undefined, invocation: (tools: Observability) => Promise<T>): Promise<T> {
  const tools = observability();
  if (context !== undefined) tools.logger.addContext(context);
  try {
    return await invocation(tools);
  } finally {
    if (tools.metrics.hasStoredMetrics()) tools.metrics.publishStoredMetrics();
  }
}

export function count(metrics: Metrics, name: MetricName, value: number): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

export function milliseconds(metrics: Metrics, name: MetricName, value: number): void {
  metrics.addMetric(name, MetricUnit.Milliseconds, value);
}

/**
 * For the repair (`ees repair` run where Powertools is bundled, e.g. in a Lambda): records what it
 * did, with one log line and the RepairActions metric, written at once.
 */
export function recordRepairActions(actions: number, details: Record<string, unknown> = {}): void {
  const { logger, metrics } = observability();
  logger.info('Repair', { repair_actions: actions, ...details });
  count(metrics, METRIC_NAMES.repairActions, actions);
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
