import { spawn } from 'node:child_process';
import { EesError } from '../core/errors.js';

export interface ExecBatch {
  readonly lines: readonly string[];
  /** The checkpoint the batch starts at, and the one after it. */
  readonly from: number;
  readonly next: number;
}

/**
 * Runs `command` through the shell once for a batch, with the batch as JSON Lines on its stdin
 * (and EES_BATCH_FROM / EES_BATCH_NEXT in its environment); its stdout and stderr are ees's own.
 * Resolves true when it exits 0, false when it was stopped by `signal` (Ctrl-C), and rejects
 * with EXEC_FAILED otherwise: the caller then keeps its position, so the batch is delivered again.
 */
export function deliverToCommand(command: string, batch: ExecBatch, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...process.env, EES_BATCH_FROM: String(batch.from), EES_BATCH_NEXT: String(batch.next) },
    });
    // A command that exits without reading all of its input is judged by its exit code alone.
    child.stdin.on('error', () => undefined);
    child.stdin.end(batch.lines.length === 0 ? '' : `${batch.lines.join('\n')}\n`);
    child.once('error', (error) => reject(new EesError('EXEC_FAILED', `Cannot run the --exec command: ${error.message}.`, { cause: error })));
    child.once('close', (code, killedBy) => {
      if (code === 0) return resolve(true);
      if (signal?.aborted === true) return resolve(false);
      const how = code === null ? `was killed by ${killedBy}` : `exited with ${code}`;
      reject(
        new EesError(
          'EXEC_FAILED',
          `The --exec command ${how} on the batch from checkpoint ${batch.from} to ${batch.next}; the position stays at ${batch.from}, so the next run delivers this batch again.`,
        ),
      );
    });
  });
}
