import { parseChangesetBody } from '../core/changeset.js';
import { EesError } from '../core/errors.js';
import { toJsonText } from '../core/json-text.js';
import type { Expectation } from '../core/types.js';
import { editDistance } from './edit-distance.js';
import type { ChangesetBody } from './http-client.js';

export interface InputOptions {
  /** --metadata: replaces the input's metadata. */
  readonly metadata?: string | undefined;
  /** --raw: a single object, or each line, is one event, whatever keys it has. */
  readonly raw?: boolean | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A line of `ees read`/`ees tail` JSON output: a changeset or event record, not an event. */
function isEesRecord(value: unknown): value is Record<string, unknown> & { stream_id: string } {
  return isObject(value) && typeof value['stream_id'] === 'string' && ('changeset_id' in value || 'event_id' in value) && ('events' in value || 'data' in value);
}

/**
 * A single object shaped like a changeset envelope that lost its "events" (a typo, a missing key): committing it as one event
 * could not be undone, so it is refused. --raw takes it as one event on purpose.
 */
function refuseEnvelopeWithoutEvents(value: Record<string, unknown>, source: string): void {
  const nearMiss = Object.keys(value).find((key) => key !== 'events' && editDistance(key.toLowerCase(), 'events') <= 1);
  if (nearMiss !== undefined) {
    throw usage(`${source}: "${nearMiss}" looks like a misspelt "events"; nothing was committed. Fix the key, or pass --raw to store the object as one event.`);
  }
  if ('metadata' in value) {
    throw usage(`${source} has "metadata" but no "events": a changeset is {"events": [...], "metadata": {...}}; nothing was committed. Pass --raw to store the object as one event.`);
  }
}

function refuseEesOutput(record: { stream_id: string }, source: string): never {
  throw usage(
    `${source} is ees's own output (records of stream "${record.stream_id}"), not events; nothing was committed. ` +
      `To copy the events, print them alone: ees read ${record.stream_id} --data-only | ees append TARGET; or pass --raw to store the records as events.`,
  );
}

function usage(message: string): EesError {
  return new EesError('INVALID_USAGE', message);
}

function parseLines(text: string, source: string): unknown[] {
  const events: unknown[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line));
    } catch {
      throw usage(`${source}: line ${index + 1} is not valid JSON (expected a changeset object, a JSON array of events, or one JSON event per line).`);
    }
  });
  return events;
}

/**
 * Reads a changeset given to `ees append`: `{"events": [...], "metadata": {...}}`, a bare JSON
 * array of events, or JSON Lines with one event per line. `--metadata` replaces the input's.
 */
export function parseChangesetInput(text: string, source: string, options: InputOptions = {}): ChangesetBody {
  const metadataFlag = options.metadata;
  const trimmed = text.trim();
  if (trimmed === '') throw usage(`${source} is empty: give a changeset, a JSON array of events, or one JSON event per line.`);
  let whole: unknown;
  let isWhole = true;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    isWhole = false;
  }
  let body: { events: unknown[]; metadata?: Record<string, unknown> };
  if (isWhole && options.raw === true) {
    body = { events: [whole] };
  } else if (isWhole && Array.isArray(whole)) {
    body = { events: whole };
  } else if (isWhole && isEesRecord(whole)) {
    refuseEesOutput(whole, source);
  } else if (isWhole && isObject(whole) && 'events' in whole) {
    const { events, metadata } = whole as { events: unknown; metadata?: unknown };
    if (!Array.isArray(events)) throw usage(`${source}: "events" must be an array.`);
    if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
      throw usage(`${source}: "metadata" must be an object.`);
    }
    body = { events, ...(metadata === undefined || metadata === null ? {} : { metadata: metadata as Record<string, unknown> }) };
  } else {
    // A single JSON value that is not a changeset is one event: JSON Lines with one line.
    const events = isWhole ? [whole] : parseLines(text, source);
    if (options.raw !== true) {
      if (isWhole && isObject(whole)) refuseEnvelopeWithoutEvents(whole, source);
      for (const event of events) {
        if (isEesRecord(event)) refuseEesOutput(event, source);
        if (isObject(event) && Array.isArray(event['events'])) {
          throw usage(`${source} holds several changeset objects: ees append commits one changeset at a time; nothing was committed. Pass --raw to store each line as an event.`);
        }
      }
    }
    body = { events };
  }
  if (body.events.length === 0) throw usage(`${source} holds no events: a changeset needs at least one.`);
  if (metadataFlag !== undefined) {
    let metadata: unknown;
    try {
      metadata = JSON.parse(metadataFlag);
    } catch {
      throw usage('--metadata is not valid JSON.');
    }
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw usage('--metadata must be a JSON object.');
    body = { ...body, metadata: metadata as Record<string, unknown> };
  }
  return body;
}

/**
 * Checks a changeset with the server's own rules before sending it, so that bad input never
 * reaches the server: the same limits, the same codes.
 */
export function checkChangesetLocally(streamId: string, expectation: Expectation, body: ChangesetBody): void {
  parseChangesetBody(streamId, expectation, new TextEncoder().encode(toJsonText(body)));
}
