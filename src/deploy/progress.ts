import type { ProgressEvent } from './flow.js';

export interface ProgressSnapshot {
  readonly title: string;
  readonly startedAt: number;
  /** Resource lines that reached a final state, oldest first. */
  readonly finished: readonly { readonly id: number; readonly text: string; readonly failed: boolean }[];
  /** Resources still in progress, by logical id. */
  readonly inProgress: readonly string[];
  readonly status: string;
  readonly warnings: readonly string[];
}

const FINAL = /_(COMPLETE|FAILED)$/;

/**
 * Deploy progress as state the Ink view renders (and tests read): finished resources go to a
 * list that only grows, the rest is the live part.
 */
export class ProgressStore {
  private snapshot: ProgressSnapshot;
  private readonly listeners = new Set<() => void>();
  private nextId = 0;

  constructor(title: string, now: () => number = Date.now) {
    this.snapshot = { title, startedAt: now(), finished: [], inProgress: [], status: 'Starting', warnings: [] };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): ProgressSnapshot => this.snapshot;

  push(event: ProgressEvent): void {
    const current = this.snapshot;
    if (event.kind === 'resource' && event.resource !== undefined) {
      const { logicalId, status } = event.resource;
      const inProgress = current.inProgress.filter((id) => id !== logicalId);
      if (FINAL.test(status)) {
        const line = { id: this.nextId++, text: `${logicalId} ${status}${event.resource.type === undefined ? '' : ` (${event.resource.type})`}`, failed: status.endsWith('FAILED') };
        this.snapshot = { ...current, inProgress, finished: [...current.finished, line] };
      } else {
        this.snapshot = { ...current, inProgress: [...inProgress, logicalId] };
      }
    } else if (event.kind === 'warning') {
      this.snapshot = { ...current, warnings: [...current.warnings, event.message] };
    } else {
      this.snapshot = { ...current, status: event.message.split('\n')[0] ?? '' };
    }
    for (const listener of this.listeners) listener();
  }
}

/** Plain progress for CI logs and pipes: one line per event, no colour, no cursor movement. */
export function plainProgressLine(event: ProgressEvent, elapsedMs: number): string {
  const seconds = Math.round(elapsedMs / 1000);
  const stamp = `[${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}]`;
  return `${stamp} ${event.kind === 'warning' ? 'WARNING: ' : ''}${event.message.split('\n')[0]}`;
}
