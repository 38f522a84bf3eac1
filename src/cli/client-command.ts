import { Flags } from '@oclif/core';
import { Chalk, type ChalkInstance } from 'chalk';
import { DEFAULT_COMMIT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, EesClient, type ClientOptions } from '../client/http-client.js';
import { redactEndpoint, resolveTarget, type Target } from '../client/target.js';
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
  readonly json?: boolean;
  readonly color?: boolean;
}

/**
 * Base of the client commands: target resolution, the HTTP client, and the output contract:
 * JSON (Lines) with --json or when stdout is not a terminal, coloured text at a terminal.
 */
export abstract class ClientCommand extends EesCommand {
  static override enableJsonFlag = true;
  static override baseFlags = { ...EesCommand.baseFlags, ...targetFlags };

  private client: EesClient | undefined;
  protected target: Target | undefined;

  /** Whether a slow request may print a notice on stderr (not under a full-screen view). */
  protected slowNotices = true;

  protected async connect(flags: { endpoint?: string; profile?: string; token?: string; stack?: string; region?: string; timeout?: string; json?: boolean }): Promise<EesClient> {
    const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
    this.target = await resolveTarget({
      endpointFlag: flags.endpoint,
      profileFlag: flags.profile,
      tokenFlag: flags.token,
      stackFlag: flags.stack,
      regionFlag: flags.region,
      stackProfile: async (stackName, region) => (await import('../client/stack-target.js')).profileFromStack(stackName, region),
      env: process.env,
      configDir: this.config.configDir,
    });
    const shown = redactEndpoint(this.target.endpoint);
    const common: Omit<ClientOptions, 'endpoint'> = {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(this.slowNotices && process.stderr.isTTY === true && flags.json !== true
        ? { onSlow: ({ timeoutMs: limit }) => process.stderr.write(`ees: waiting for ${shown}… (gives up after ${limit / 1000}s; --timeout to change)\n`) }
        : {}),
    };
    if (this.target.auth === 'iam') {
      // Loaded only for IAM targets: the signer and the AWS credential chain are slow to import.
      const { createSigner } = await import('../client/sigv4.js');
      this.client = new EesClient({
        ...common,
        endpoint: this.target.endpoint,
        sign: createSigner({ region: this.target.region || process.env['AWS_REGION'] || 'us-east-1' }),
      });
      return this.client;
    }
    this.client = new EesClient({ ...common, endpoint: this.target.endpoint, ...(this.target.token === undefined ? {} : { token: this.target.token }) });
    return this.client;
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
    await this.client?.close();
    return super.finally(error);
  }

  protected override async init(): Promise<void> {
    await super.init();
    exitQuietlyOnClosedPipe();
  }
}
