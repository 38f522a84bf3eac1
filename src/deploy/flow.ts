import { EesError } from '../core/errors.js';
import type { Profile } from '../client/target.js';

export interface AwsIdentity {
  readonly account: string;
  readonly arn: string;
}

/** A line of deploy progress, from the toolkit's messages. */
export interface ProgressEvent {
  readonly kind: 'status' | 'resource' | 'asset' | 'info' | 'warning';
  readonly message: string;
  /** For resource events: the logical id and its new status. */
  readonly resource?: { readonly logicalId: string; readonly status: string; readonly type?: string };
}

/**
 * What a deploy needs from the CDK toolkit and AWS, at their public boundary. The real one is
 * `cdkBoundary()`; tests give their own.
 */
export interface DeployBoundary {
  /** Who the credentials belong to; rejects when there are none or they expired. */
  identity(): Promise<AwsIdentity>;
  isBootstrapped(environment: { account: string; region: string }): Promise<boolean>;
  bootstrap(environment: { account: string; region: string }): Promise<void>;
  /** Deploys the stack and returns its outputs. */
  deploy(): Promise<Record<string, string>>;
  /** What a deploy would change, as text for people. */
  diff(): Promise<string>;
  destroy(): Promise<void>;
  /** The deployed stack's outputs, or undefined when it does not exist. */
  outputs(): Promise<Record<string, string> | undefined>;
  deleteTables(tableNames: readonly string[]): Promise<void>;
}

export interface DeployInteraction {
  progress(event: ProgressEvent): void;
  /** Asks a yes/no question; only called when a person can answer. */
  confirm(question: string): Promise<boolean>;
}

export interface DeployRequest {
  readonly stackName: string;
  readonly region: string;
  readonly public: boolean;
  /** --yes: answer every question with yes. */
  readonly yes: boolean;
  /** Whether a person is there to answer (stdin and stdout are terminals). */
  readonly interactive: boolean;
}

/** Missing or expired credentials: one clear line and exit 6, before any work. */
export async function requireIdentity(boundary: DeployBoundary, region: string): Promise<AwsIdentity> {
  try {
    return await boundary.identity();
  } catch (error) {
    const reason = (error as Error).message?.split('\n')[0] ?? String(error);
    throw new EesError(
      'UNAUTHORIZED',
      `No usable AWS credentials for ${region} (${reason}). Configure a profile (aws configure, aws sso login) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
      { cause: error },
    );
  }
}

async function agree(request: DeployRequest, interaction: DeployInteraction, question: string, refusal: string): Promise<void> {
  if (request.yes) return;
  if (!request.interactive) throw new EesError('INVALID_USAGE', `${refusal} Pass --yes to allow it in a non-interactive run.`);
  if (!(await interaction.confirm(question))) throw new EesError('INVALID_USAGE', `${refusal} Nothing was changed.`);
}

export interface DeployOutcome {
  readonly identity: AwsIdentity;
  readonly outputs: Record<string, string>;
  readonly profile: Profile;
  readonly bootstrapped: boolean;
}

/**
 * `ees deploy`: credentials first, then the bootstrap (offered, or automatic with --yes), then the
 * deploy; returns the outputs and the target profile to save.
 */
export async function runDeploy(boundary: DeployBoundary, interaction: DeployInteraction, request: DeployRequest): Promise<DeployOutcome> {
  const identity = await requireIdentity(boundary, request.region);
  const environment = { account: identity.account, region: request.region };
  let bootstrapped = false;
  if (!(await boundary.isBootstrapped(environment))) {
    await agree(
      request,
      interaction,
      `aws://${identity.account}/${request.region} is not bootstrapped for the CDK. Bootstrap it now (creates the CDKToolkit stack)?`,
      `aws://${identity.account}/${request.region} is not bootstrapped for the CDK.`,
    );
    interaction.progress({ kind: 'status', message: `Bootstrapping aws://${identity.account}/${request.region}` });
    await boundary.bootstrap(environment);
    bootstrapped = true;
  }
  if (request.public) {
    interaction.progress({ kind: 'warning', message: 'The API will be PUBLIC: anyone with its URL can read and append. Omit --public for IAM authorization.' });
  }
  interaction.progress({ kind: 'status', message: `Deploying ${request.stackName} to aws://${identity.account}/${request.region}` });
  const outputs = await boundary.deploy();
  const endpoint = outputs['ApiEndpoint'];
  if (endpoint === undefined) throw new EesError('INTERNAL_ERROR', `The stack ${request.stackName} deployed without an ApiEndpoint output.`);
  const profile: Profile = {
    endpoint: endpoint.replace(/\/+$/, ''),
    region: request.region,
    stack: request.stackName,
    auth: request.public ? 'none' : 'iam',
  };
  return { identity, outputs, profile, bootstrapped };
}

/** `ees destroy`: removes the stack; the tables stay unless --delete-data was confirmed. */
export async function runDestroy(
  boundary: DeployBoundary,
  interaction: DeployInteraction,
  request: DeployRequest & { readonly deleteData: boolean },
): Promise<{ deletedTables: readonly string[]; keptTables: readonly string[] }> {
  await requireIdentity(boundary, request.region);
  const outputs = await boundary.outputs();
  if (outputs === undefined) throw new EesError('INVALID_USAGE', `There is no stack ${request.stackName} in ${request.region}.`);
  const tables = [outputs['EventsTableName'], outputs['MetaTableName']].filter((name): name is string => name !== undefined);
  await agree(request, interaction, `Remove the stack ${request.stackName} from ${request.region}? The tables are kept.`, `Removing ${request.stackName} needs confirmation.`);
  if (request.deleteData) {
    await agree(
      request,
      interaction,
      `Also DELETE the tables ${tables.join(' and ')} with every event in them? This cannot be undone.`,
      'Deleting the data needs confirmation.',
    );
  }
  interaction.progress({ kind: 'status', message: `Destroying ${request.stackName}` });
  await boundary.destroy();
  if (request.deleteData) {
    await boundary.deleteTables(tables);
    return { deletedTables: tables, keptTables: [] };
  }
  return { deletedTables: [], keptTables: tables };
}
