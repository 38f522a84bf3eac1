import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../stack/app.js';
import { LAMBDA_ENTRIES, lambdaCodeDirectory, type LambdaName } from '../../stack/lambda-code.js';

type Statement = { Action: string | string[]; Resource: unknown };
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The AWS SDK commands a built bundle sends (`new x.PutItemCommand(`), as IAM actions. */
function actionsUsedBy(name: LambdaName): string[] {
  const code = readFileSync(join(lambdaCodeDirectory(), name, 'index.js'), 'utf8');
  const commands = new Set([...code.matchAll(/new [\w$]+\.(\w+)Command\(/g)].map((match) => match[1]!));
  const actions = new Set<string>();
  for (const command of commands) {
    if (command === 'PublishBatch' || command === 'Publish') actions.add('sns:Publish');
    // A transaction has no action of its own: IAM checks each operation in it (granted below).
    else if (command !== 'TransactWriteItems') actions.add(`dynamodb:${command}`);
  }
  return [...actions].sort();
}

/**
 * Each function's role allows exactly the actions its built bundle calls — read from the bundle
 * that is deployed, so a new call without a grant (or a grant nobody uses) fails here.
 */
describe('least privilege, against the built bundles', () => {
  let outdir: string;
  let resources: Resources;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'ees-synth-'));
    const { stack } = buildApp({ stackName: 'ees-test', lambdaCodeDirectory: lambdaCodeDirectory(), outdir });
    resources = Template.fromStack(stack).toJSON()['Resources'] as Resources;
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const functionId = (name: LambdaName) => Object.keys(resources).find((id) => id.startsWith(`EventStore${name[0]!.toUpperCase()}${name.slice(1)}Function`) && resources[id]!.Type === 'AWS::Lambda::Function')!;
  const statementsOf = (name: LambdaName): Statement[] => {
    const role = (resources[functionId(name)]!.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties['Roles']) === JSON.stringify([{ Ref: role }]))
      .flatMap((policy) => (policy.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
  };
  const dataActions = (statements: Statement[]) =>
    [...new Set(statements.flatMap((statement) => [statement.Action].flat()).filter((action) => !/^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(action) && !action.startsWith('sqs:')))].sort();

  it.each(LAMBDA_ENTRIES)('grants the %s function only the data-plane actions its bundle calls', (name) => {
    expect(actionsUsedBy(name).length).toBeGreaterThan(0);
    expect(dataActions(statementsOf(name))).toEqual(actionsUsedBy(name));
  });

  it('never allows deleting, scanning or batch-writing the append-only tables', () => {
    for (const name of LAMBDA_ENTRIES) {
      for (const action of dataActions(statementsOf(name))) expect(action, `${name}: ${action}`).not.toMatch(/^dynamodb:(DeleteItem|Scan|BatchWriteItem|DeleteTable|UpdateTable|PartiQL)/);
    }
  });

  it('grants stream reads on the stream ARN only, never on a table ARN', () => {
    for (const name of LAMBDA_ENTRIES) {
      for (const statement of statementsOf(name)) {
        const actions = [statement.Action].flat();
        const resourcesText = JSON.stringify(statement.Resource);
        if (actions.some((action) => /^dynamodb:(GetRecords|GetShardIterator|DescribeStream)$/.test(action))) {
          expect(resourcesText, `${name}: ${actions.join(',')}`).toContain('StreamArn');
          expect(resourcesText).not.toMatch(/"Arn"/);
        }
      }
    }
  });
});
