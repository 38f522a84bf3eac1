#!/usr/bin/env node
import { execute } from '@oclif/core';

// The AWS SDK warns on every run that its future releases need Node 22; ees pins what works on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await execute({ dir: import.meta.url });
