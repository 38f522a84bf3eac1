import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EesError } from '../core/errors.js';
import type { Profile } from './target.js';

/**
 * A target from a deployed stack's outputs (`--stack NAME`): how a CI job reaches a stack it did
 * not deploy itself.
 */
export async function profileFromStack(stackName: string, region: string, client = new CloudFormationClient({ region })): Promise<Profile> {
  let outputs: Record<string, string>;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (name === 'ValidationError') throw new EesError('INVALID_USAGE', `There is no stack ${stackName} in ${region}.`, { cause: error });
    if (name === 'CredentialsProviderError' || name === 'ExpiredToken' || name === 'ExpiredTokenException' || name === 'AccessDenied' || name === 'AccessDeniedException') {
      throw new EesError('UNAUTHORIZED', `Cannot read the stack ${stackName} in ${region}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
    throw error;
  } finally {
    client.destroy();
  }
  const endpoint = outputs['ApiEndpoint'];
  if (endpoint === undefined) throw new EesError('INVALID_USAGE', `The stack ${stackName} in ${region} has no ApiEndpoint output: is it an ees stack?`);
  return { endpoint: endpoint.replace(/\/+$/, ''), region, stack: stackName, auth: outputs['Auth'] === 'none' ? 'none' : 'iam' };
}
