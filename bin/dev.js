#!/usr/bin/env node
// Development entry: runs the compiled commands with oclif's development mode (fuller errors).
// `npm run build` (or `npx tsc -p tsconfig.build.json --watch`) keeps dist/ current.
import { execute } from '@oclif/core';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await execute({ development: true, dir: import.meta.url });
