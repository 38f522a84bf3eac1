import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A temporary folder for a cloud assembly, named `<prefix>-<pid>-…`: removed when the run ends,
 * also on Ctrl-C or SIGTERM; folders left by runs that were killed outright (their pid is gone)
 * are swept when the next run starts.
 */
export function scratchDirectory(prefix: string): { readonly path: string; remove(): void } {
  for (const entry of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${prefix}-(\\d+)-`).exec(entry)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !isAlive(Number(pid))) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  const path = mkdtempSync(join(tmpdir(), `${prefix}-${process.pid}-`));
  const remove = () => {
    process.off('exit', remove);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(path, { recursive: true, force: true });
  };
  // Clean up, then let the signal do what it would have done.
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    process.kill(process.pid, signal);
  };
  process.once('exit', remove);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { path, remove };
}
