import { modelConformance } from '../reliability/model-suite.js';
import { storeForFile, storeHarness } from './support.js';

const store = storeForFile('model');

modelConformance('dynamodb', async () => storeHarness(await store()), { numRuns: 8 });
