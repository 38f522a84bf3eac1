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

/** The changes a deploy would make, as the toolkit describes them, for a person or a policy to approve. */
export interface ChangeReview {
  /** The diff, as text for people. */
  readonly diff: string;
  /** IAM or security-group changes (the toolkit's permission change type is not "none"). */
  readonly securitySensitive: boolean;
}

/** The bootstrap stack's version in the environment (undefined: not bootstrapped) and what the stack needs. */
export interface BootstrapState {
  readonly deployed: number | undefined;
  readonly required: number;
}

/**
 * What a deploy needs from the CDK toolkit and AWS, at their public boundary. The real one is
 * `cdkBoundary()` (tested against a loopback stand-in for AWS); the flow's unit tests give their own.
 */
export interface DeployBoundary {
  /** Who the credentials belong to; rejects when there are none or they expired. */
  identity(): Promise<AwsIdentity>;
  bootstrapState(environment: { account: string; region: string }): Promise<BootstrapState>;
  /** Bootstraps the environment, or upgrades its bootstrap stack to the current version. */
  bootstrap(environment: { account: string; region: string }): Promise<void>;
  /** Deploys the stack if `approve` agrees to its changes, and returns its outputs. */
  deploy(approve: (changes: ChangeReview) => Promise<boolean>): Promise<Record<string, string>>;
  /** What a deploy would change, as text for people. */
  diff(): Promise<string>;
  /** Deletes the stack, and resolves once the deletion has completed. Called only after consent. */
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
 * `ees deploy`: credentials first, then the bootstrap (offered, or automatic with --yes, also when
 * its version is too old for the stack), then the changes — approved by the person at a terminal,
 * by --yes, or, in a non-interactive run without --yes, only when they are not security-sensitive —
 * then the deploy; returns the outputs and the target profile to save.
 */
export async function runDeploy(boundary: DeployBoundary, interaction: DeployInteraction, request: DeployRequest): Promise<DeployOutcome> {
  const identity = await requireIdentity(boundary, request.region);
  const environment = { account: identity.account, region: request.region };
  const where = `aws://${identity.account}/${request.region}`;
  let bootstrapped = false;
  const state = await boundary.bootstrapState(environment);
  if (state.deployed === undefined || state.deployed < state.required) {
    const problem =
      state.deployed === undefined
        ? `${where} is not bootstrapped for the CDK.`
        : `${where} is bootstrapped with version ${state.deployed} of the CDK bootstrap stack; this stack needs version ${state.required} or later.`;
    const offer = state.deployed === undefined ? 'Bootstrap it now (creates the CDKToolkit stack)?' : 'Upgrade the CDKToolkit stack now?';
    await agree(request, interaction, `${problem} ${offer}`, problem);
    interaction.progress({ kind: 'status', message: `${state.deployed === undefined ? 'Bootstrapping' : 'Upgrading the bootstrap stack of'} ${where}` });
    await boundary.bootstrap(environment);
    bootstrapped = true;
  }
  if (request.public) {
    interaction.progress({ kind: 'warning', message: 'The API will be PUBLIC: anyone with its URL can read and append. Omit --public for IAM authorization.' });
  }
  interaction.progress({ kind: 'status', message: `Deploying ${request.stackName} to ${where}` });
  let refusal: string | undefined;
  let outputs: Record<string, string>;
  try {
    outputs = await boundary.deploy(async (changes) => {
      if (request.yes) return true;
      if (request.interactive) {
        const approved = await interaction.confirm(`${changes.diff.trim()}\n\nDeploy these changes to ${request.stackName}?`);
        if (!approved) refusal = `Deploy of ${request.stackName} cancelled: the stack was not changed.`;
        return approved;
      }
      if (!changes.securitySensitive) return true;
      refusal = `The deploy of ${request.stackName} changes IAM permissions, and a non-interactive run needs --yes to allow that. The stack was not changed.`;
      return false;
    });
  } catch (error) {
    if (refusal !== undefined) throw new EesError('INVALID_USAGE', refusal, { cause: error });
    throw error;
  }
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

/**
 * `ees destroy`: one question (or --yes) covers all of it: removing the stack and, with
 * --delete-data, deleting the tables. The tables are deleted only after the stack's deletion has
 * completed; any "no", and any failure before that point, leaves the data as it is.
 */
export async function runDestroy(
  boundary: DeployBoundary,
  interaction: DeployInteraction,
  request: DeployRequest & { readonly deleteData: boolean },
): Promise<{ deletedTables: readonly string[]; keptTables: readonly string[] }> {
  await requireIdentity(boundary, request.region);
  const outputs = await boundary.outputs();
  if (outputs === undefined) throw new EesError('INVALID_USAGE', `There is no stack ${request.stackName} in ${request.region}.`);
  const tables = [outputs['EventsTableName'], outputs['MetaTableName']].filter((name): name is string => name !== undefined);
  const where = `${request.stackName} from ${request.region}`;
  if (request.deleteData) {
    await agree(
      request,
      interaction,
      `Remove the stack ${where} and then DELETE the tables ${tables.join(' and ')} with every event in them? This cannot be undone.`,
      `Removing ${request.stackName} and deleting its tables needs confirmation.`,
    );
  } else {
    await agree(request, interaction, `Remove the stack ${where}? The tables ${tables.join(' and ')} and the dead-letter queues are kept.`, `Removing ${request.stackName} needs confirmation.`);
  }
  interaction.progress({ kind: 'status', message: `Destroying ${request.stackName}` });
  await boundary.destroy();
  if ((await boundary.outputs()) !== undefined) {
    throw new EesError('INTERNAL_ERROR', `The stack ${request.stackName} is still there after its removal; the tables were not touched.`);
  }
  if (!request.deleteData) return { deletedTables: [], keptTables: tables };
  interaction.progress({ kind: 'status', message: `Deleting the tables ${tables.join(' and ')}` });
  await boundary.deleteTables(tables);
  return { deletedTables: tables, keptTables: [] };
}
