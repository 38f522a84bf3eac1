import { ClientCommand } from '../src/cli/client-command.js';
import { describeIndexingLag, lagAsJson, lagIfServed } from '../src/client/stats-readings.js';
import { redactEndpoint } from '../src/client/target.js';
import { EesError, type ErrorCode } from '../src/core/errors.js';

const STATUS_OF: Partial<Record<ErrorCode, string>> = {
  ENDPOINT_UNREACHABLE: 'not answering',
  UNAUTHORIZED: 'answering, but refused the credentials',
  FORBIDDEN: 'answering, but refused access',
  NOT_AN_EES_SERVER: 'answering, but not as an ees API',
};

export default class Status extends ClientCommand {
  static override summary = 'Show which event store the CLI targets, and whether it answers.';
  static override description = `The target is --endpoint, else EES_ENDPOINT, else the profile named by --profile or EES_PROFILE,
else http://127.0.0.1:3000. Shows where it came from, whether it answers, its contract and server
versions, and the round-trip time.

Exit codes: 0 answering, 5 unreachable or not an ees server, 6 refused.`;

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --endpoint http://127.0.0.1:4000 --json'];

  /** Its answer is one object even when the target fails, as for a success, whenever output is JSON. */
  protected override printsJsonErrors(): boolean {
    return this.jsonEnabled() || process.stdout.isTTY !== true;
  }

  protected override errorJsonExtras(): Record<string, unknown> {
    if (this.target === undefined) return {};
    const { endpoint, source, profile } = this.target;
    return { endpoint: redactEndpoint(endpoint), source, ...(profile === undefined ? {} : { profile }), reachable: false };
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    const client = (await this.connect(flags)).http;
    const target = this.target!;
    const json = this.jsonOutput(flags);
    const color = this.colors(flags);
    const shown = redactEndpoint(target.endpoint);
    const where = { endpoint: shown, source: target.source, ...(target.profile === undefined ? {} : { profile: target.profile }) };
    try {
      const info = await client.version();
      const roundTripMs = Math.round(info.roundTripMs * 10) / 10;
      const lag = await lagIfServed(client);
      if (json) {
        const lagFields = lag === undefined ? {} : { ...lagAsJson(lag), head_checkpoint: lag.head_checkpoint, statistics_version: lag.statistics_version, statistics_lag: lag.statistics_lag };
        this.print(JSON.stringify({ ...where, reachable: true, version: info.version, server: info.server ?? null, round_trip_ms: roundTripMs, ...lagFields }));
        return;
      }
      this.print(`${color.bold('Target ')}  ${shown} ${color.dim(`(${target.profile === undefined ? target.source : `profile ${target.profile}`})`)}`);
      this.print(`${color.bold('Status ')}  ${color.green('answering')}`);
      this.print(`${color.bold('Version')}  API ${info.version}, server ${info.server ?? 'unknown'}`);
      this.print(`${color.bold('Latency')}  ${roundTripMs} ms`);
      if (lag !== undefined) {
        this.print(`${color.bold('Indexed')}  ${lag.unindexed_changesets === 0 ? color.green(describeIndexingLag(lag)) : color.yellow(describeIndexingLag(lag))}`);
        this.print(`${color.bold('Stats  ')}  ${lag.statistics_lag === 0 ? 'up to date' : `${lag.statistics_lag.toLocaleString('en-US')} checkpoints behind the global order`} ${color.dim(`(head ${lag.head_checkpoint})`)}`);
      }
    } catch (error) {
      // The JSON error object carries the target too (errorJsonExtras); at a terminal, say what failed.
      if (error instanceof EesError && !json) {
        this.print(`${color.bold('Target ')}  ${shown} ${color.dim(`(${target.profile === undefined ? target.source : `profile ${target.profile}`})`)}`);
        this.print(`${color.bold('Status ')}  ${color.red(STATUS_OF[error.code] ?? 'not answering as an ees API')}`);
      }
      throw error;
    }
  }
}
