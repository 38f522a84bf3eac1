import { validateConsumerName } from '../core/consumers.js';
import { EesError } from '../core/errors.js';
import type { EesClient } from './http-client.js';

/**
 * Where `ees tail` keeps its position between runs: a consumer in the event store, or a checkpoint
 * file. The position moves only after a batch was delivered (printed, or applied by --exec).
 */
export interface SavedPosition {
  /** How messages name it: "consumer X" or "checkpoint file F". */
  readonly label: string;
  /** The saved position, or undefined when there is none yet. */
  load(): Promise<number | undefined>;
  /**
   * Records the start before anything is delivered, so that a first batch that fails is delivered
   * again from there, and an unusable position store is refused before anything is printed.
   */
  begin(start: number, saved: number | undefined): Promise<void>;
  advance(next: number): Promise<void>;
}

/** A consumer's position; every move is a compare-and-set from the position this run last saw. */
export function consumerPosition(client: EesClient, name: string): SavedPosition {
  validateConsumerName(name);
  let expected: number | undefined;
  const conflict = (error: unknown): never => {
    if (error instanceof EesError && error.code === 'CONSUMER_POSITION_CONFLICT') {
      throw new EesError('CONSUMER_POSITION_CONFLICT', `${error.message} This run stops; the position is the other runner's.`, { details: error.details });
    }
    throw error;
  };
  return {
    label: `consumer ${name}`,
    async load() {
      try {
        return (await client.readConsumer(name)).position;
      } catch (error) {
        if (error instanceof EesError && error.code === 'CONSUMER_NOT_FOUND') return undefined;
        throw error;
      }
    },
    async begin(start, saved) {
      if (saved === undefined) await client.advanceConsumer(name, start, undefined).catch(conflict);
      expected = start;
    },
    async advance(next) {
      if (next === expected) return;
      await client.advanceConsumer(name, next, expected).catch(conflict);
      expected = next;
    },
  };
}

/** `--from-checkpoint` as typed: absent, bare (resume from the saved position), or a checkpoint. */
export type FromCheckpoint = undefined | 'saved' | number;

/**
 * Where a walk of the global order starts. A saved position wins over the default, and is never
 * silently overridden: `--from-checkpoint N` with a saved position is refused.
 */
export function startOf(options: { fromCheckpoint: FromCheckpoint; saved: number | undefined; source: SavedPosition | undefined }): number | 'head' {
  const { fromCheckpoint, saved, source } = options;
  if (typeof fromCheckpoint === 'number') {
    if (saved !== undefined) {
      throw new EesError(
        'INVALID_USAGE',
        `--from-checkpoint ${fromCheckpoint} and the ${source!.label} (at ${saved}) both say where to start: drop --from-checkpoint to resume, or move the saved position first.`,
      );
    }
    return fromCheckpoint;
  }
  if (saved !== undefined) return saved;
  return fromCheckpoint === 'saved' || source !== undefined ? 0 : 'head';
}
