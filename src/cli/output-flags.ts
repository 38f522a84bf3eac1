import { Flags } from '@oclif/core';

/** The output flags `ees read` and `ees tail` share, as streaming tools (kcat, nats) have them. */
export const streamOutputFlags = {
  count: Flags.integer({ char: 'n', description: 'Stop after N changesets (or N events, with --events or --data-only).', min: 0 }),
  'data-only': Flags.boolean({ description: 'Print the event payloads alone, one JSON value per line.', exclusive: ['events'] }),
};
