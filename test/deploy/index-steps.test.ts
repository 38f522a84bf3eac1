import { describe, expect, it } from 'vitest';
import { deployedGlobalIndexes, globalIndexSteps } from '../../src/deploy/index-steps.js';

describe('global index steps', () => {
  const all = ['global_order', 'unindexed', 'stream_list'];

  it('adds missing indexes one per update, ending with the full set', () => {
    expect(globalIndexSteps(['global_order'], all)).toEqual([
      { indexes: ['global_order', 'unindexed'], change: { action: 'adding', indexName: 'unindexed' } },
      { indexes: all, change: { action: 'adding', indexName: 'stream_list' } },
    ]);
  });

  it('needs no steps for a new stack, nor when at most one index changes', () => {
    expect(globalIndexSteps(undefined, all)).toEqual([]);
    expect(globalIndexSteps(all, all)).toEqual([]);
    expect(globalIndexSteps(['global_order', 'unindexed'], all)).toEqual([]);
  });

  it('removes before it adds, one index per update', () => {
    expect(globalIndexSteps(['global_order', 'retired'], ['global_order', 'unindexed']).map((step) => step.indexes)).toEqual([['global_order'], ['global_order', 'unindexed']]);
  });

  it('reads the deployed indexes from the output; a stack without it has only global_order', () => {
    expect(deployedGlobalIndexes(undefined)).toEqual(['global_order']);
    expect(deployedGlobalIndexes('global_order,unindexed')).toEqual(['global_order', 'unindexed']);
  });
});
