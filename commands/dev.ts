import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { EesCommand } from '../src/cli/base-command.js';
import { startEmbeddedStore } from '../src/dev/embedded.js';

export default class Dev extends EesCommand {
  static override summary = 'Serve the event store API locally, on an embedded SQLite engine.';
  static override description = `Serves the same HTTP API as the deployed stack. Data is kept in --data-dir, with every
acknowledged commit durable on disk. Binds to loopback unless --host says otherwise. Stops cleanly on
Ctrl-C or SIGTERM: in-flight commits finish and the database is closed.`;

  static override examples = ['<%= config.bin %> dev', '<%= config.bin %> dev --port 0 --data-dir /tmp/ees-data'];

  static override flags = {
    port: Flags.integer({ char: 'p', description: 'Port to listen on (0 picks a free one).', default: 3000, min: 0, max: 65535 }),
    host: Flags.string({ description: 'Address to bind.', default: '127.0.0.1' }),
    'data-dir': Flags.string({ char: 'd', description: 'Folder of the database.', default: '.ees' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Dev);
    const dataDir = resolve(flags['data-dir']);
    const store = await startEmbeddedStore({ dataDir, host: flags.host, port: flags.port });
    this.log(`Elastic Event Store listening on ${store.url}`);
    this.log(`Data: ${store.databasePath}. Stop with Ctrl-C.`);

    await new Promise<void>((resolveStopped) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        store.close().then(resolveStopped, (error: unknown) => {
          this.logToStderr(`ees: ${String(error)}`);
          process.exitCode = 1;
          resolveStopped();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  }
}
