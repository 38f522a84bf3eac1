import { readFile } from 'node:fs/promises';
import { EesError } from '../core/errors.js';

/** Reads --file, or stdin when it is not a terminal. */
export async function readInput(file: string | undefined): Promise<{ text: string; source: string }> {
  if (file !== undefined && file !== '-') {
    try {
      return { text: await readFile(file, 'utf8'), source: file };
    } catch (error) {
      throw new EesError('INVALID_USAGE', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
    }
  }
  if (process.stdin.isTTY) {
    throw new EesError('INVALID_USAGE', 'No changeset given: pass --file F, or pipe the events on stdin.');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return { text: Buffer.concat(chunks).toString('utf8'), source: 'stdin' };
}
