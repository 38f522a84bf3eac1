import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { BaseCredentials, BootstrapEnvironments, StackSelectionStrategy, Toolkit, ToolkitError, type IIoHost, type IoMessage, type IoRequest } from '@aws-cdk/toolkit-lib';
import { join } from 'node:path';
import { EesError } from '../core/errors.js';
import { EVENTS_TABLE } from '../engines/dynamodb/schema.js';
import { buildApp } from '../../stack/app.js';
import { OUTPUTS, type AlarmTargets } from '../../stack/event-store.js';
import { lambdaCodeDirectory } from '../../stack/lambda-code.js';
import type { ChangeReview, DeployBoundary, DeployInteraction, ProgressEvent } from './flow.js';
import { globalIndexSteps, deployedGlobalIndexes } from './index-steps.js';
import { scratchDirectory } from './scratch.js';

export interface CdkBoundaryOptions {
  readonly stackName: string;
  readonly region: string;
  readonly public: boolean;
  readonly alarms?: AlarmTargets | undefined;
  /** A named AWS profile; otherwise the standard credential chain. */
  readonly awsProfile?: string | undefined;
  readonly yes: boolean;
  readonly interactive: boolean;
  readonly interaction: DeployInteraction;
}

/** The toolkit's message codes this boundary acts on. */
const MESSAGES = {
  deployProgress: 'CDK_TOOLKIT_I5100',
  deployResult: 'CDK_TOOLKIT_I5900',
  confirmDeploy: 'CDK_TOOLKIT_I5060',
  confirmDestroy: 'CDK_TOOLKIT_I7010',
  assetPrefix: 'CDK_ASSETS_I527',
} as const;

/** Stack events and progress from the toolkit's IoHost messages, as our progress lines. */
function progressOf(message: IoMessage<unknown>): ProgressEvent | undefined {
  const data = message.data as { event?: { LogicalResourceId?: string; ResourceStatus?: string; ResourceType?: string } } | undefined;
  const event = data?.event;
  if (event?.LogicalResourceId !== undefined && event.ResourceStatus !== undefined) {
    return {
      kind: 'resource',
      message: `${event.LogicalResourceId} ${event.ResourceStatus}`,
      resource: { logicalId: event.LogicalResourceId, status: event.ResourceStatus, ...(event.ResourceType === undefined ? {} : { type: event.ResourceType }) },
    };
  }
  const code = message.code ?? '';
  if (message.level === 'warn') return { kind: 'warning', message: message.message };
  if (code.startsWith(MESSAGES.assetPrefix)) return { kind: 'asset', message: message.message };
  if (code === MESSAGES.deployProgress || code === MESSAGES.deployResult || message.level === 'result') return { kind: 'info', message: message.message };
  return undefined;
}

/** The toolkit's typed errors as ours, so each gets its exit code; others pass through. */
function translated(error: unknown): unknown {
  if (ToolkitError.isAuthenticationError(error)) {
    return new EesError('UNAUTHORIZED', `AWS refused the credentials (${error.message.split('\n')[0]}). Configure a profile (aws configure, aws sso login) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`, { cause: error });
  }
  if (ToolkitError.isAbortError(error)) return new EesError('INVALID_USAGE', `${error.message}: nothing was changed.`, { cause: error });
  if (ToolkitError.isBootstrapError(error)) return new EesError('INVALID_USAGE', `${error.message.replace(/ Please run 'cdk bootstrap'\.?/, '')} Run ees deploy, which offers to bootstrap it.`, { cause: error });
  return error;
}

async function translating<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translated(error);
  }
}

const isMissingStack = (error: unknown) => (error as { name?: string }).name === 'ValidationError' && /does not exist/.test((error as Error).message);

/**
 * The real boundary: the CDK toolkit library in-process, and the AWS SDK for the rest. Credentials
 * are resolved once, by one provider that the SDK clients and the toolkit share.
 */
export function cdkBoundary(options: CdkBoundaryOptions): DeployBoundary & { dispose(): void } {
  const scratch = scratchDirectory('ees-cdk');
  const credentials = fromNodeProviderChain(options.awsProfile === undefined ? {} : { profile: options.awsProfile });
  const clientConfig = { region: options.region, credentials };
  const results: string[] = [];
  let approveChanges: ((changes: ChangeReview) => Promise<boolean>) | undefined;

  const ioHost: IIoHost = {
    notify: async (message) => {
      if (message.level === 'result') results.push(message.message);
      const event = progressOf(message);
      if (event !== undefined) options.interaction.progress(event);
    },
    requestResponse: async <T>(request: IoRequest<unknown, T>): Promise<T> => {
      if (request.code === MESSAGES.confirmDeploy) {
        const data = request.data as { permissionChangeType?: string } | undefined;
        const approve = approveChanges ?? (async () => false);
        return (await approve({ diff: request.message, securitySensitive: (data?.permissionChangeType ?? 'none') !== 'none' })) as T;
      }
      // The flow asks before it destroys anything; this is the toolkit asking the same again.
      if (request.code === MESSAGES.confirmDestroy) return true as T;
      if (typeof request.defaultResponse === 'boolean') {
        if (options.yes) return true as T;
        if (options.interactive) return (await options.interaction.confirm(request.message)) as T;
      }
      return request.defaultResponse;
    },
  };
  const toolkit = new Toolkit({
    ioHost,
    color: false,
    emojis: false,
    sdkConfig: { baseCredentials: BaseCredentials.custom({ provider: credentials, region: options.region }) },
  });

  const cloudFormation = new CloudFormationClient(clientConfig);
  const describe = async (stackName: string) => {
    try {
      const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = Stacks?.[0];
      if (stack === undefined || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
      return { status: stack.StackStatus ?? '', outputs: Object.fromEntries((stack.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? ''])) };
    } catch (error) {
      if (isMissingStack(error)) return undefined;
      throw error;
    }
  };

  // A deployed stack keeps its events table layout: a stack without the version output predates
  // version 2. Its global indexes come from their output; more than one new index is added in
  // steps (index-steps.ts), one synthesis per step, each into its own folder.
  let deployedLayout: Promise<{ eventsTableVersion: 1 | 2 | undefined; globalIndexes: readonly string[] | undefined }> | undefined;
  const layout = () =>
    (deployedLayout ??= (async () => {
      const deployed = await describe(options.stackName);
      if (deployed === undefined || deployed.status === 'REVIEW_IN_PROGRESS') return { eventsTableVersion: undefined, globalIndexes: undefined };
      return {
        eventsTableVersion: deployed.outputs[OUTPUTS.eventsTableVersion] === '2' ? 2 : 1,
        globalIndexes: deployedGlobalIndexes(deployed.outputs[OUTPUTS.eventsTableIndexes]),
      };
    })());
  const syntheses = new Map<string, Promise<{ directory: string; requiredBootstrapVersion: number }>>();
  /** The assembly with the given global indexes of the events table (all of them by default). */
  const synthesize = (globalIndexes?: readonly string[]) => {
    const key = globalIndexes?.join(',') ?? '*';
    let synthesis = syntheses.get(key);
    if (synthesis === undefined) {
      synthesis = (async () => {
        const directory = join(scratch.path, `assembly-${syntheses.size}`);
        const { app, stack } = buildApp({
          stackName: options.stackName,
          public: options.public,
          alarms: options.alarms,
          eventsTableVersion: (await layout()).eventsTableVersion,
          eventsTableGlobalIndexes: globalIndexes,
          lambdaCodeDirectory: lambdaCodeDirectory(),
          outdir: directory,
        });
        const artifact = app.synth().getStackByName(stack.stackName);
        return { directory, requiredBootstrapVersion: artifact.requiresBootstrapStackVersion ?? 1 };
      })();
      syntheses.set(key, synthesis);
    }
    return synthesis;
  };
  const assembly = async (globalIndexes?: readonly string[]) => toolkit.fromAssemblyDirectory((await synthesize(globalIndexes)).directory);
  const allStacks = { stacks: { strategy: StackSelectionStrategy.ALL_STACKS } };

  return {
    identity: async () => {
      const sts = new STSClient(clientConfig);
      try {
        const result = await sts.send(new GetCallerIdentityCommand({}));
        return { account: result.Account!, arn: result.Arn! };
      } finally {
        sts.destroy();
      }
    },
    bootstrapState: async () => {
      const required = (await synthesize()).requiredBootstrapVersion;
      const toolkitStack = await describe('CDKToolkit');
      if (toolkitStack === undefined || toolkitStack.status === 'ROLLBACK_COMPLETE' || toolkitStack.status === 'REVIEW_IN_PROGRESS') return { deployed: undefined, required };
      const version = Number(toolkitStack.outputs['BootstrapVersion']);
      return { deployed: Number.isFinite(version) ? version : 0, required };
    },
    bootstrap: ({ account, region }) => translating(async () => void (await toolkit.bootstrap(BootstrapEnvironments.fromList([`aws://${account}/${region}`])))),
    deploy: (approve) =>
      translating(async () => {
        approveChanges = approve;
        try {
          const steps = globalIndexSteps((await layout()).globalIndexes, EVENTS_TABLE.globalIndexes.map((index) => index.indexName));
          let outputs: Record<string, string> = {};
          for (const [number, step] of steps.entries()) {
            options.interaction.progress({
              kind: 'status',
              message: `${step.change.action === 'adding' ? 'Adding' : 'Removing'} the events table's index ${step.change.indexName} (step ${number + 1} of ${steps.length}): CloudFormation changes one global index per update`,
            });
            outputs = (await toolkit.deploy(await assembly(step.indexes), allStacks)).stacks[0]?.outputs ?? {};
          }
          // No steps: one update (or the creation) with the full template; a last step's template is the full one.
          if (steps.length === 0) outputs = (await toolkit.deploy(await assembly(), allStacks)).stacks[0]?.outputs ?? {};
          return outputs;
        } finally {
          approveChanges = undefined;
        }
      }),
    diff: () =>
      translating(async () => {
        results.length = 0;
        await toolkit.diff(await assembly(), allStacks);
        return results.join('\n');
      }),
    destroy: () => translating(async () => void (await toolkit.destroy(await assembly(), allStacks))),
    outputs: async () => (await describe(options.stackName))?.outputs,
    deleteTables: async (tableNames) => {
      const dynamodb = new DynamoDBClient(clientConfig);
      try {
        for (const TableName of tableNames) await dynamodb.send(new DeleteTableCommand({ TableName }));
      } finally {
        dynamodb.destroy();
      }
    },
    dispose: () => {
      cloudFormation.destroy();
      scratch.remove();
    },
  };
}
