import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { BaseCredentials, BootstrapEnvironments, StackSelectionStrategy, Toolkit, type IIoHost, type IoMessage, type IoRequest } from '@aws-cdk/toolkit-lib';
import { buildApp } from '../../stack/app.js';
import { lambdaCodeDirectory } from '../../stack/lambda-code.js';
import type { DeployBoundary, DeployInteraction, ProgressEvent } from './flow.js';

export interface CdkBoundaryOptions {
  readonly stackName: string;
  readonly region: string;
  readonly public: boolean;
  /** A named AWS profile; otherwise the standard credential chain. */
  readonly profile?: string;
  readonly yes: boolean;
  readonly interactive: boolean;
  readonly interaction: DeployInteraction;
}

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
  if (code.startsWith('CDK_ASSETS_I527')) return { kind: 'asset', message: message.message };
  if (code === 'CDK_TOOLKIT_I5100' || code === 'CDK_TOOLKIT_I5900' || message.level === 'result') return { kind: 'info', message: message.message };
  return undefined;
}

/** The real boundary: the CDK toolkit library in-process, and the AWS SDK for the rest. */
export function cdkBoundary(options: CdkBoundaryOptions): DeployBoundary & { dispose(): void } {
  const outdir = mkdtempSync(join(tmpdir(), 'ees-cdk-'));
  const credentials = fromNodeProviderChain(options.profile === undefined ? {} : { profile: options.profile });
  const clientConfig = { region: options.region, credentials };
  const results: string[] = [];
  const ioHost: IIoHost = {
    notify: async (message) => {
      if (message.level === 'result') results.push(message.message);
      const event = progressOf(message);
      if (event !== undefined) options.interaction.progress(event);
    },
    requestResponse: async <T>(request: IoRequest<unknown, T>): Promise<T> => {
      // Security-sensitive changes (IAM) and other questions: --yes approves, a person is asked.
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
    sdkConfig: { baseCredentials: BaseCredentials.awsCliCompatible({ ...(options.profile === undefined ? {} : { profile: options.profile }), defaultRegion: options.region }) },
  });
  const assembly = () =>
    toolkit.fromAssemblyBuilder(
      async () => buildApp({ stackName: options.stackName, public: options.public, lambdaCodeDirectory: lambdaCodeDirectory(), outdir }).app.synth(),
      { outdir, resolveDefaultEnvironment: false, clobberEnv: false },
    );
  const allStacks = { stacks: { strategy: StackSelectionStrategy.ALL_STACKS } };
  const cloudFormation = new CloudFormationClient(clientConfig);

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
    isBootstrapped: async () => {
      try {
        const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: 'CDKToolkit' }));
        return (Stacks ?? []).some((stack) => stack.StackStatus !== undefined && !stack.StackStatus.startsWith('DELETE') && stack.StackStatus !== 'ROLLBACK_COMPLETE');
      } catch (error) {
        if ((error as { name?: string }).name === 'ValidationError') return false;
        throw error;
      }
    },
    bootstrap: async ({ account, region }) => {
      await toolkit.bootstrap(BootstrapEnvironments.fromList([`aws://${account}/${region}`]));
    },
    deploy: async () => {
      const result = await toolkit.deploy(await assembly(), allStacks);
      return result.stacks[0]?.outputs ?? {};
    },
    diff: async () => {
      results.length = 0;
      await toolkit.diff(await assembly(), allStacks);
      return results.join('\n');
    },
    destroy: async () => {
      await toolkit.destroy(await assembly(), allStacks);
    },
    outputs: async () => {
      try {
        const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: options.stackName }));
        const stack = Stacks?.[0];
        if (stack === undefined) return undefined;
        return Object.fromEntries((stack.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
      } catch (error) {
        if ((error as { name?: string }).name === 'ValidationError') return undefined;
        throw error;
      }
    },
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
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}
