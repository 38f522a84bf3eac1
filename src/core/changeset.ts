import { EesError } from './errors.js';
import { LIMITS } from './limits.js';
import type { Expectation, NewChangeset } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

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
  const flaw = flawOfStoredValues(text);
  if (flaw !== undefined) throw invalidChangeset(streamId, flaw);

  let eventsJson: string;
  let metadataJson: string;
  try {
    eventsJson = JSON.stringify(events);
    metadataJson = metadata === undefined || metadata === null ? '{}' : JSON.stringify(metadata);
  } catch (error) {
    // Unreachable after the depth check; kept so a stack overflow can never become a 500.
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
    { streamId },
  );
}

function invalidChangeset(streamId: string, message: string, cause?: unknown): EesError {
  return new EesError('INVALID_CHANGESET', message, { streamId, cause });
}

interface Container {
  readonly isArray: boolean;
  /** The array index or the object key of the value being read. */
  index: number;
  key: string | undefined;
}

/** `events[0].amount`, `metadata["a b"]`: where a value sits in the body. */
function pathOf(stack: readonly Container[]): string {
  let path = '';
  for (const [level, container] of stack.entries()) {
    if (container.isArray) path += `[${container.index}]`;
    else if (container.key !== undefined) {
      const key = container.key;
      path += /^[A-Za-z_$][\w$]*$/.test(key) ? (level === 0 ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return path;
}

/**
 * What would keep the stored events or metadata from being what was sent, or from being read back
 * safely, as a message naming the place; undefined when nothing. One pass over text that JSON.parse
 * has accepted, so it need not re-check the syntax, and iterative, so no depth can overflow it:
 * - a number literal that is not a finite double (`1e999`, or 1 followed by 400 digits and `e10`:
 *   JSON.stringify would store null), or a non-zero literal that underflows to 0 (`1e-400`);
 * - arrays and objects nested deeper than LIMITS.nestingMaxDepth inside one event or the metadata.
 * Rounding to the nearest double (2^53 and beyond, long fractions) is JSON's own and is kept.
 */
function flawOfStoredValues(text: string): string | undefined {
  const stack: Container[] = [];
  let expectKey = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22 /* " */) {
      let end = index + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      if (expectKey) {
        stack.at(-1)!.key = JSON.parse(text.slice(index, end + 1)) as string;
        expectKey = false;
      }
      index = end;
    } else if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      stack.push({ isArray: code === 0x5b, index: 0, key: undefined });
      expectKey = code === 0x7b;
      // Depth inside one event (the body and the events array do not count) or the metadata.
      const depth = stack.length - (stack[0]?.key === 'events' ? 2 : 1);
      if (depth > LIMITS.nestingMaxDepth) {
        return `The value at ${pathOf(stack.slice(0, -1))} nests arrays and objects deeper than ${LIMITS.nestingMaxDepth} levels.`;
      }
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      stack.pop();
    } else if (code === 0x2c /* , */) {
      const container = stack.at(-1)!;
      if (container.isArray) container.index++;
      else expectKey = true;
    } else if (code === 0x2d /* - */ || (code >= 0x30 && code <= 0x39)) {
      let end = index + 1;
      while (end < text.length && /[0-9eE.+-]/.test(text[end]!)) end++;
      const literal = text.slice(index, end);
      const value = Number(literal);
      const mantissa = literal.split(/[eE]/)[0]!;
      if (!Number.isFinite(value) || (value === 0 && /[1-9]/.test(mantissa))) {
        return `The number at ${pathOf(stack)} (${literal.length > 40 ? `${literal.slice(0, 40)}…` : literal}) cannot be stored as sent: it is outside the range of a double.`;
      }
      index = end - 1;
    }
  }
  return undefined;
}
/**
 * A commit's body must be declared `application/json`. A web page can send a cross-site POST
 * without asking the server first only as a form type (text/plain and the like), so this also keeps
 * plain HTML forms from writing.
 */
export function requireJsonContent(streamId: string, contentType: string | undefined): void {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) {
    throw new EesError('UNSUPPORTED_MEDIA_TYPE', `A commit's body must be sent as Content-Type: application/json (got ${contentType === undefined ? 'none' : `"${contentType}"`}).`, { streamId });
  }
}
