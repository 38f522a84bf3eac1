/**
 * A simulation of the way past the global order's write ceiling (docs/global-order-ceiling.md):
 * consecutive checkpoints spread over `lanes` partition keys of the global index, which a reader
 * merges. Nothing here touches DynamoDB: it models the index as partition key → sorted entries and
 * counts the requests each side would send, so the design's request pattern can be checked
 * before it is built.
 */

/** DynamoDB's write limit per partition key (writes of up to 1 KB per second). */
export const WRITES_PER_KEY_PER_SECOND = 1000;
const PAGE_SIZE = 1000;

/** Where a checkpoint's index entry goes: today (`lanes` = 1) `page = checkpoint / 1000`. */
export function laneKey(checkpoint: number, lanes: number): { partition: number; sort: number } {
  const page = Math.floor(checkpoint / PAGE_SIZE);
  return { partition: page * lanes + (checkpoint % lanes), sort: checkpoint % PAGE_SIZE };
}

export class SimulatedGlobalIndex {
  private readonly partitions = new Map<number, Map<number, number>>();
  /** Index writes per partition key. */
  readonly writes = new Map<number, number>();
  queries = 0;

  constructor(readonly lanes: number) {}

  /** The indexer's write of one checkpoint's entry. */
  write(checkpoint: number): void {
    const { partition, sort } = laneKey(checkpoint, this.lanes);
    (this.partitions.get(partition) ?? this.partitions.set(partition, new Map()).get(partition)!).set(sort, checkpoint);
    this.writes.set(partition, (this.writes.get(partition) ?? 0) + 1);
  }

  /** The busiest partition key's share of `seconds` of writes, in writes per second. */
  hottestKeyRate(seconds: number): number {
    return Math.max(0, ...this.writes.values()) / seconds;
  }

  /**
   * A reader's page from `checkpoint`: one query per lane of the page (`page_item >= from`), merged
   * by checkpoint and cut at the first gap, so a checkpoint assigned but not yet written is never
   * skipped; the next page is read only when this one ended on its last checkpoint.
   */
  read(checkpoint: number, limit: number): number[] {
    const found: number[] = [];
    let next = checkpoint;
    while (found.length < limit) {
      const page = Math.floor(next / PAGE_SIZE);
      const merged: number[] = [];
      for (let lane = 0; lane < this.lanes; lane++) {
        this.queries++;
        const entries = this.partitions.get(page * this.lanes + lane);
        for (const [sort, stored] of entries ?? []) if (sort >= next % PAGE_SIZE) merged.push(stored);
      }
      merged.sort((a, b) => a - b);
      for (const stored of merged) {
        if (stored !== next || found.length >= limit) return found;
        found.push(stored);
        next++;
      }
      if (next % PAGE_SIZE !== 0) return found;
    }
    return found;
  }
}
