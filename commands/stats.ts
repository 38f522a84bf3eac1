import { Flags } from '@oclif/core';
import { rateBetween, readingAsJson, takeReading, type StatsReading } from '../src/client/stats-readings.js';
import { ClientCommand } from '../src/cli/client-command.js';
import { redactEndpoint } from '../src/client/target.js';
import { parseDuration } from '../src/cli/duration.js';
import { EesError } from '../src/core/errors.js';
import { sleep } from '../src/core/sleep.js';

export default class Stats extends ClientCommand {
  static override summary = 'Show what the event store holds and how fast it moves.';
  static override description = `At a terminal: a panel with the totals, the global order's head checkpoint and how far the
statistics trail it; with --watch it refreshes every --interval and draws the commit rate as a
sparkline. q, Esc or Ctrl-C quits.

With --json, or when stdout is not a terminal: one JSON object, or with --watch one JSON line per
interval (with the rates since the previous line).

Exit codes: 0 shown, 5 unreachable (without --watch; with --watch it keeps retrying), 6 refused.`;

  static override examples = ['<%= config.bin %> stats', '<%= config.bin %> stats --watch --interval 1s', '<%= config.bin %> stats --json'];

  static override flags = {
    watch: Flags.boolean({ char: 'w', description: 'Keep refreshing until you quit.' }),
    interval: Flags.string({ char: 'i', description: 'Time between readings with --watch (e.g. 2s, 500ms).', default: '2s' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Stats);
    // The panel shows its own state ("Reading…", the error); a notice on stderr would break its frames.
    this.slowNotices = false;
    const intervalMs = parseDuration(flags.interval, '--interval');
    const client = (await this.connect(flags)).http;
    const target = this.target!;

    if (this.jsonOutput(flags)) {
      await this.printJson(() => takeReading(client), flags.watch, intervalMs);
      return;
    }

    let server: string | undefined;
    try {
      server = (await client.version()).server;
    } catch (error) {
      if (!flags.watch) throw error;
    }
    // Whatever the reading threw (an EesError or another Error), rethrown once the view has exited.
    let failure: Error | undefined;
    const [{ render }, { createElement }, { StatsApp }, { clearScreenWhenNarrowed }, { default: chalk }] = await Promise.all([
      import('ink'),
      import('react'),
      import('../src/ui/StatsApp.js'),
      import('../src/ui/terminal.js'),
      import('chalk'),
    ]);
    // Ink colours through chalk's shared instance, which does not read NO_COLOR or --no-color.
    if (this.colors(flags).level === 0) chalk.level = 0;
    const stopClearing = clearScreenWhenNarrowed(process.stdout);
    const app = render(
      createElement(StatsApp, {
        endpoint: redactEndpoint(target.endpoint),
        source: target.profile === undefined ? target.source : `profile ${target.profile}`,
        server,
        read: () => takeReading(client),
        watch: flags.watch,
        intervalMs,
        onFailure: (error: unknown) => {
          failure = error instanceof Error ? error : new Error(String(error));
        },
      }),
      { exitOnCtrlC: true },
    );
    await app.waitUntilExit();
    stopClearing();
    if (failure !== undefined) throw failure;
  }

  /** Machine output: one object, or with --watch one line per interval until interrupted. */
  private async printJson(read: () => Promise<StatsReading>, watch: boolean, intervalMs: number): Promise<void> {
    if (!watch) {
      this.print(JSON.stringify(readingAsJson(await read())));
      return;
    }
    const stopped = this.stopSignal();
    let previous: StatsReading | undefined;
    while (!stopped.aborted) {
      try {
        const reading = await read();
        this.print(JSON.stringify(readingAsJson(reading, previous === undefined ? undefined : rateBetween(previous, reading))));
        previous = reading;
      } catch (error) {
        if (!(error instanceof EesError)) throw error;
        this.print(JSON.stringify({ at: new Date().toISOString(), error: error.code, message: error.message }));
      }
      await sleep(intervalMs, stopped);
    }
  }
}
