import { EesError } from './errors.js';
import { LIMITS } from './limits.js';
import type { Expectation, NewChangeset } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
// Only a literal this large can overflow a double; checked before walking the value for it.
const OVERFLOW_CANDIDATE = /[eE]\+?[0-9]{3}|[0-9]{309}/;

/**
 * Validates a commit body (rule 5 of API.md) and turns it into a changeset ready to store.
 * `body` is the raw request body; the stream id and expectation were validated before.
 */
export function parseChangesetBody(streamId: string, expectation: Expectation, body: Uint8Array): NewChangeset {
  let text: string;
  let parsed: unknown;
  try {
    text = utf8.decode(body);
    parsed = JSON.parse(text);
  } catch {
    throw new EesError('INVALID_JSON', 'The request body is not valid JSON.', { streamId });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidChangeset(streamId, 'The request body must be a JSON object with an "events" array.');
  }
  const { events, metadata } = parsed as { events?: unknown; metadata?: unknown };
  if (events === undefined) throw invalidChangeset(streamId, 'The changeset has no "events".');
  if (!Array.isArray(events)) throw invalidChangeset(streamId, '"events" must be an array.');
  if (events.length === 0) throw invalidChangeset(streamId, '"events" must not be empty.');
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw invalidChangeset(streamId, '"metadata" must be an object.');
  }
  if (OVERFLOW_CANDIDATE.test(text) && containsNonFiniteNumber(parsed)) {
    // JSON.stringify would silently store such a number as null.
    throw invalidChangeset(streamId, 'The changeset holds a number too large to store.');
  }

  let eventsJson: string;
  let metadataJson: string;
  try {
    eventsJson = JSON.stringify(events);
    metadataJson = metadata === undefined || metadata === null ? '{}' : JSON.stringify(metadata);
  } catch (error) {
    // Only a value nested deeper than the stack allows gets here.
    throw invalidChangeset(streamId, 'The changeset is nested too deeply.', error);
  }
  const size = Buffer.byteLength(eventsJson, 'utf8') + Buffer.byteLength(metadataJson, 'utf8');
  if (size > LIMITS.changesetMaxBytes) throw changesetTooLarge(streamId);
  return { streamId, expectation, events: eventsJson, eventCount: events.length, metadata: metadataJson };
}

export function changesetTooLarge(streamId: string | undefined): EesError {
  return new EesError(
    'CHANGESET_TOO_LARGE',
    `The changeset is too large: events and metadata may take at most ${LIMITS.changesetMaxBytes} bytes as compact JSON, and a request body at most ${LIMITS.requestBodyMaxBytes} bytes.`,
    streamId === undefined ? {} : { streamId },
  );
}

function invalidChangeset(streamId: string, message: string, cause?: unknown): EesError {
  return new EesError('INVALID_CHANGESET', message, { streamId, cause });
}

/** Iterative, so that a deeply nested value cannot overflow the stack here. */
function containsNonFiniteNumber(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'number' && !Number.isFinite(value)) return true;
    if (value !== null && typeof value === 'object') {
      for (const child of Object.values(value)) pending.push(child);
    }
  }
  return false;
}
