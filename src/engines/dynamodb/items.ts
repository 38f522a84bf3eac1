import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { StoredChangeset } from '../../core/types.js';
import { PAGE_SIZE } from './schema.js';

export type Item = Record<string, AttributeValue>;

export const str = (value: string): AttributeValue => ({ S: value });
export const num = (value: number): AttributeValue => ({ N: String(value) });

export function readNumber(item: Item, name: string): number | undefined {
  const value = item[name];
  return value?.N === undefined ? undefined : Number(value.N);
}

export function readString(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

/** One string per changeset key (stream id and changeset id), for maps and sets. */
export const changesetKeyId = (streamId: string, changesetId: number): string => `${changesetId}\u0000${streamId}`;

/** The key id of an item or key that holds stream_id and changeset_id. */
export const keyIdOf = (item: Item): string => changesetKeyId(readString(item, 'stream_id')!, readNumber(item, 'changeset_id')!);

/** The checkpoint an item was indexed at, or null while the indexer has not reached it. */
export function checkpointOf(item: Item): number | null {
  const page = readNumber(item, 'page');
  const pageItem = readNumber(item, 'page_item');
  return page === undefined || pageItem === undefined ? null : page * PAGE_SIZE + pageItem;
}

export function pagePosition(checkpoint: number): { page: number; pageItem: number } {
  return { page: Math.floor(checkpoint / PAGE_SIZE), pageItem: checkpoint % PAGE_SIZE };
}

export function toStoredChangeset(item: Item): StoredChangeset {
  return {
    streamId: readString(item, 'stream_id')!,
    changesetId: readNumber(item, 'changeset_id')!,
    firstEventId: readNumber(item, 'first_event_id')!,
    lastEventId: readNumber(item, 'last_event_id')!,
    events: readString(item, 'events')!,
    metadata: readString(item, 'metadata')!,
    checkpoint: checkpointOf(item),
    committedAt: readString(item, 'timestamp'),
  };
}

export function isConditionalCheckFailure(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException';
}
