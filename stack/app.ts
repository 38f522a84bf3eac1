import { App, Stack } from 'aws-cdk-lib';
import { EventStore, type AlarmTargets } from './event-store.js';

export interface AppOptions {
  readonly stackName: string;
  readonly public?: boolean | undefined;
  /** The events table layout of the deployed stack (default: the current one, for a new stack). */
  readonly eventsTableVersion?: 1 | 2 | undefined;
  /** The events table's global indexes to include (default: all); a deploy adds new ones one per update. */
  readonly eventsTableGlobalIndexes?: readonly string[] | undefined;
  /** Where the alarms notify (an email address, an existing SNS topic, or both). */
  readonly alarms?: AlarmTargets | undefined;
  /** Where the prebuilt Lambda bundles are (dist/lambda). */
  readonly lambdaCodeDirectory: string;
  /** Where the cloud assembly is written; the caller removes it. */
  readonly outdir: string;
  /** CloudFormation's own template validation (about 3 s per synth). */
  readonly validateTemplate?: boolean;
}

/** The CDK app of `ees synth` and `ees deploy`: one environment-agnostic stack. */
export function buildApp(options: AppOptions): { app: App; stack: Stack } {
  const app = new App({ outdir: options.outdir, builtinCloudFormationValidation: options.validateTemplate ?? false });
  const stack = new Stack(app, options.stackName, {
    stackName: options.stackName,
    description: `Elastic Event Store${options.public === true ? ' (public API)' : ''}`,
  });
  new EventStore(stack, 'EventStore', {
    lambdaCodeDirectory: options.lambdaCodeDirectory,
    public: options.public,
    alarms: options.alarms,
    eventsTableVersion: options.eventsTableVersion,
    eventsTableGlobalIndexes: options.eventsTableGlobalIndexes,
  });
  return { app, stack };
}
