import { Flags } from '@oclif/core';
import { Chalk, type ChalkInstance } from 'chalk';
import { httpClientFor, targetOf } from '../client/connect.js';
import { DEFAULT_COMMIT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from '../client/http-client.js';
import { RemoteEventStore } from '../client/remote-store.js';
import { redactEndpoint, type Target } from '../client/target.js';
import { EesCommand } from './base-command.js';
import { parseDuration } from './duration.js';

let pipeHandlerInstalled = false;

/** `ees tail | head -1` closes the pipe: that is the reader's choice, not a failure. */
function exitQuietlyOnClosedPipe(): void {
  if (pipeHandlerInstalled) return;
  pipeHandlerInstalled = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** The flags every command that talks to an event store shares. */
export const targetFlags = {
  endpoint: Flags.string({ description: 'URL of the event store (before EES_ENDPOINT and profiles).', helpGroup: 'TARGET' }),
  profile: Flags.string({ description: 'A target saved by `ees deploy` (or EES_PROFILE).', helpGroup: 'TARGET' }),
  stack: Flags.string({ description: 'A deployed stack to target, by name (reads its outputs).', helpGroup: 'TARGET' }),
  region: Flags.string({ description: 'AWS region of --stack (else AWS_REGION).', helpGroup: 'TARGET' }),
  token: Flags.string({ description: 'Bearer token for an `ees dev --token` server (or EES_TOKEN).', helpGroup: 'TARGET' }),
  timeout: Flags.string({
    description: `The longest a request may take, retries included (e.g. 5s; default ${DEFAULT_TIMEOUT_MS / 1000}s, ${DEFAULT_COMMIT_TIMEOUT_MS / 1000}s for a commit; or EES_TIMEOUT).`,
    env: 'EES_TIMEOUT',
    helpGroup: 'GLOBAL',
  }),
  color: Flags.boolean({ description: 'Colour at a terminal (NO_COLOR=1 turns it off too).', allowNo: true, default: true, helpGroup: 'GLOBAL' }),
};

interface OutputFlags {
  readonly json?: boolean | undefined;
  readonly color?: boolean | undefined;
}

/**
 * Base of the client commands: target resolution, the HTTP client, and the output contract:
 * JSON (Lines) with --json or when stdout is not a terminal, coloured text at a terminal.
 */
export abstract class ClientCommand extends EesCommand {
  static override enableJsonFlag = true;
  static override baseFlags = { ...EesCommand.baseFlags, ...targetFlags };

  private store: RemoteEventStore | undefined;
  protected target: Target | undefined;

  /** Whether a slow request may print a notice on stderr (not under a full-screen view). */
  protected slowNotices = true;

  /**
   * The library's client for the target the flags name (the same resolution as `connect()`);
   * `.http` has every route of the API for the commands that report on the store.
   */
  protected async connect(flags: {
    endpoint?: string | undefined;
    profile?: string | undefined;
    token?: string | undefined;
    stack?: string | undefined;
    region?: string | undefined;
    timeout?: string | undefined;
    json?: boolean | undefined;
  }): Promise<RemoteEventStore> {
    const timeout = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
    this.target = await targetOf({ endpoint: flags.endpoint, profile: flags.profile, token: flags.token, stack: flags.stack, region: flags.region, configDir: this.config.configDir });
    const shown = redactEndpoint(this.target.endpoint);
    const notices = this.slowNotices && process.stderr.isTTY === true && flags.json !== true;
    const http = await httpClientFor(this.target, {
      timeout,
      onSlow: notices ? ({ timeoutMs: limit }) => process.stderr.write(`ees: waiting for ${shown}… (gives up after ${limit / 1000}s; --timeout to change)\n`) : undefined,
    });
    this.store = new RemoteEventStore(http);
    return this.store;
  }

  protected jsonOutput(flags: OutputFlags): boolean {
    return flags.json === true || !process.stdout.isTTY;
  }

  protected colors(flags: OutputFlags): ChalkInstance {
    const enabled = flags.color !== false && process.stdout.isTTY === true && !process.env['NO_COLOR'] && !this.jsonOutput(flags);
    return new Chalk({ level: enabled ? 1 : 0 });
  }

  /** Writes one line to stdout (oclif's log is silent under --json, and we print JSON ourselves). */
  protected print(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    await this.store?.close();
    return super.finally(error);
  }

  protected override async init(): Promise<void> {
    await super.init();
    exitQuietlyOnClosedPipe();
  }
}
