/**
 * The Lambda functions' metric namespace and names: written by observability.ts, graphed by the
 * stack's dashboard. Without Powertools, so that the stack can import it.
 */
export const METRICS_NAMESPACE = 'ElasticEventStore';

export const METRIC_NAMES = {
  commits: 'Commits',
  conflicts: 'Conflicts',
  changesetsIndexed: 'ChangesetsIndexed',
  /** From a commit's stream record to its checkpoint, milliseconds. */
  indexingLatency: 'IndexingLatency',
  publishFailures: 'PublishFailures',
  repairActions: 'RepairActions',
} as const;
export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
