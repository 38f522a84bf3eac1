import { open } from 'node:fs/promises';
import { EesError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';

/**
 * The most input `ees append` reads. A changeset is at most LIMITS.changesetMaxBytes of compact
 * JSON; input can be indented, so some room is left, but beyond this it cannot fit, and reading
 * on would only fill memory.
 */
export const INPUT_MAX_BYTES = 10 * LIMITS.changesetMaxBytes;

function tooLarge(source: string): EesError {
  return new EesError(
    'CHANGESET_TOO_LARGE',
    `${source} holds more than ${INPUT_MAX_BYTES} bytes: a changeset is at most ${LIMITS.changesetMaxBytes} bytes of compact JSON. Nothing was committed.`,
  );
}

async function readBounded(chunks: AsyncIterable<Buffer | string>, source: string, stop: () => void): Promise<string> {
  const kept: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > INPUT_MAX_BYTES) {
      stop();
      throw tooLarge(source);
    }
    kept.push(buffer);
  }
  return Buffer.concat(kept).toString('utf8');
}

/** Reads --file, or stdin when it is not a terminal, stopping once the input cannot fit a changeset. */
export async function readInput(file: string | undefined): Promise<{ text: string; source: string }> {
  if (file !== undefined && file !== '-') {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      throw new EesError('INVALID_USAGE', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
    }
    try {
      const stream = handle.createReadStream({ autoClose: false });
      return { text: await readBounded(stream, file, () => stream.destroy()), source: file };
    } catch (error) {
      if (error instanceof EesError) throw error;
      throw new EesError('INVALID_USAGE', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
    } finally {
      await handle.close();
    }
  }
  if (process.stdin.isTTY) {
    throw new EesError('INVALID_USAGE', 'No changeset given: pass --file F, or pipe the events on stdin.');
  }
  return { text: await readBounded(process.stdin, 'stdin', () => process.stdin.destroy()), source: 'stdin' };
}
