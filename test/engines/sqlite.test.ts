import { engineConformance } from '../conformance/engine-suite.js';
import { sqliteHarness } from '../support/sqlite.js';

engineConformance('sqlite', sqliteHarness, { listedStreams: 10_000 });
