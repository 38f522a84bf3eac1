import { httpContract } from '../http/api-suite.js';
import { startStore } from './support.js';

httpContract('ees dev --engine dynamodb', async () => startStore('http'), { startWithToken: (token) => startStore('http-token', token) });
