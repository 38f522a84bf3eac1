import { parseChangesetBody } from '../core/changeset.js';
import { EesError } from '../core/errors.js';
import type { Expectation } from '../core/types.js';
import type { ChangesetBody } from './http-client.js';

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
export function parseChangesetInput(text: string, source: string, metadataFlag?: string): ChangesetBody {
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
  if (isWhole && Array.isArray(whole)) {
    body = { events: whole };
  } else if (isWhole && whole !== null && typeof whole === 'object' && 'events' in whole) {
    const { events, metadata } = whole as { events: unknown; metadata?: unknown };
    if (!Array.isArray(events)) throw usage(`${source}: "events" must be an array.`);
    if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
      throw usage(`${source}: "metadata" must be an object.`);
    }
    body = { events, ...(metadata === undefined || metadata === null ? {} : { metadata: metadata as Record<string, unknown> }) };
  } else {
    // A single JSON value that is not a changeset is one event: JSON Lines with one line.
    body = { events: isWhole ? [whole] : parseLines(text, source) };
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
  parseChangesetBody(streamId, expectation, new TextEncoder().encode(JSON.stringify(body)));
}
