import { sqliteHarness } from '../support/sqlite.js';
import { modelConformance } from './model-suite.js';

modelConformance('sqlite', sqliteHarness, { numRuns: 25 });
