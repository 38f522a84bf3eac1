import { EVENTS_INDEXES } from '../engines/dynamodb/schema.js';

/**
 * CloudFormation creates or deletes at most one global secondary index of a table per stack update
 * ("Cannot perform more than one GSI creation or deletion in a single update"), so a deploy that
 * changes more than one of the events table's global indexes goes in steps, one index each.
 */
export interface IndexStep {
  /** The global indexes the template of this step has. */
  readonly indexes: readonly string[];
  /** What this step changes, for the progress line. */
  readonly change: { readonly action: 'adding' | 'removing'; readonly indexName: string };
}

/**
 * The updates that take the deployed global indexes to the wanted ones, one index per update:
 * removals first, then additions in the wanted order. None when at most one index changes (one
 * update does it), nor for a new stack (`deployed` undefined: creation has no such limit).
 */
export function globalIndexSteps(deployed: readonly string[] | undefined, wanted: readonly string[]): IndexStep[] {
  if (deployed === undefined) return [];
  const steps: IndexStep[] = [];
  let current = [...deployed];
  for (const indexName of deployed.filter((name) => !wanted.includes(name))) {
    current = current.filter((name) => name !== indexName);
    steps.push({ indexes: current, change: { action: 'removing', indexName } });
  }
  for (const indexName of wanted.filter((name) => !deployed.includes(name))) {
    current = [...current, indexName];
    steps.push({ indexes: current, change: { action: 'adding', indexName } });
  }
  return steps.length > 1 ? steps : [];
}

/** The deployed events table's global indexes, from the stack's output; a stack deployed without it has only `global_order`. */
export function deployedGlobalIndexes(output: string | undefined): string[] {
  if (output === undefined) return [EVENTS_INDEXES.globalOrder];
  return output.split(',').filter((name) => name !== '');
}
