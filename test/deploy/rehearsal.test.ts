import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateChangeSetCommand, DescribeStackEventsCommand, DescribeStacksCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../support/processes.js';
import { buildApp } from '../../stack/app.js';
import { lambdaCodeDirectory } from '../../stack/lambda-code.js';
import { startAwsStandIn, type AwsStandIn, type RecordedCall, type StandInOptions, type Template } from '../support/aws-stand-in.js';

/**
 * The deploy commands as a user runs them — the built CLI, the real deploy flow and the real CDK
 * toolkit library — against a loopback stand-in for AWS (STS, CloudFormation, S3, SSM, DynamoDB),
 * asserting on the calls it recorded.
 */
describe('deploy rehearsal against a loopback AWS', { timeout: 240_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  async function rehearsal(options: StandInOptions = { bootstrapVersion: 30 }) {
    const standIn = await startAwsStandIn(options);
    const home = mkdtempSync(join(tmpdir(), 'ees-home-'));
    // A temporary folder of its own, to see what a run leaves behind.
    const temporary = join(home, 'tmp');
    mkdirSync(temporary);
    cleanups.push(() => standIn.close(), () => rmSync(home, { recursive: true, force: true }));
    const env = { ...standIn.env(home), TMPDIR: temporary };
    const ees = (args: string[]) => runCli([...args, '--region', standIn.region], { env });
    return { standIn, home, temporary, env, ees };
  }

  const actions = (calls: readonly RecordedCall[], service: string) => calls.filter((call) => call.service === service).map((call) => call.action);
  const cloudFormationCalls = (standIn: AwsStandIn, action: string, stackName?: string) =>
    standIn.calls.filter((call) => call.service === 'cloudformation' && call.action === action && (stackName === undefined || call.params['StackName']?.includes(stackName)));
  const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('ees: '));

  it.concurrent('deploys for the first time: uploads the four bundles and the template, approves IAM with --yes, prints the outputs, saves the profile; then updates', async () => {
    const { standIn, home, ees } = await rehearsal();
    const first = await ees(['deploy', '--yes', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const printed = JSON.parse(first.stdout) as { stack: string; endpoint: string; auth: string; outputs: Record<string, string> };
    expect(printed).toMatchObject({ stack: 'ees', auth: 'iam', endpoint: expect.stringMatching(/^https:\/\/ees-api\.execute-api\.eu-west-1\./) });
    expect(Object.keys(printed.outputs).sort()).toEqual(['ApiEndpoint', 'Auth', 'ChangesetsTopicArn', 'EventsTableIndexes', 'EventsTableName', 'EventsTableVersion', 'EventsTopicArn', 'IndexerDeadLetterQueueUrl', 'MetaTableName', 'PublisherDeadLetterQueueUrl']);
    expect(printed.outputs['EventsTableVersion']).toBe('2');
    // A new stack gets every global index at once: creation has no one-index-per-update limit.
    expect(printed.outputs['EventsTableIndexes']).toBe('global_order,unindexed,stream_list');
    expect(first.stderr).not.toContain("the events table's index");

    const uploads = standIn.calls.filter((call) => call.service === 's3' && call.action === 'PutObject').map((call) => call.params['Key']!);
    expect(uploads.filter((key) => key.endsWith('.zip'))).toHaveLength(4);
    expect(uploads.filter((key) => key.endsWith('.json'))).toHaveLength(1);
    const [create] = cloudFormationCalls(standIn, 'CreateChangeSet', 'ees');
    expect(create!.params['ChangeSetType']).toBe('CREATE');
    expect(Object.entries(create!.params).filter(([key]) => key.startsWith('Capabilities.member')).map(([, value]) => value)).toEqual(expect.arrayContaining(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM']));
    expect(create!.params['TemplateURL']).toContain(uploads.find((key) => key.endsWith('.json')));
    expect(cloudFormationCalls(standIn, 'ExecuteChangeSet', 'ees')).toHaveLength(1);
    expect(standIn.stack('ees')!.status).toBe('CREATE_COMPLETE');
    // Progress went to stderr as plain lines, stdout holds the JSON alone.
    expect(first.stderr).toMatch(/^\[\d\d:\d\d\] Deploying ees to aws:\/\/123456789012\/eu-west-1$/m);
    const profiles = JSON.parse(readFileSync(join(home, '.config', 'ees', 'profiles.json'), 'utf8')) as { profiles: Record<string, { endpoint: string; auth: string; stack: string; region: string }> };
    expect(profiles.profiles['ees']).toEqual({ endpoint: printed.endpoint, auth: 'iam', stack: 'ees', region: 'eu-west-1' });

    // An update: the same bundles are not uploaded again; the change set is an UPDATE.
    const callsBefore = standIn.calls.length;
    const update = await ees(['deploy', '--yes', '--json', '--alarm-email', 'ops@example.com']);
    expect(update.code, update.stderr).toBe(0);
    const updateCalls = standIn.calls.slice(callsBefore);
    expect(updateCalls.filter((call) => call.action === 'PutObject' && call.params['Key']!.endsWith('.zip'))).toEqual([]);
    expect(updateCalls.find((call) => call.action === 'CreateChangeSet')!.params['ChangeSetType']).toBe('UPDATE');
    expect(updateCalls.filter((call) => call.action === 'ExecuteChangeSet')).toHaveLength(1);
    expect(Object.values(standIn.stack('ees')!.template.Resources ?? {}).some((resource) => resource.Type === 'AWS::SNS::Subscription')).toBe(true);

    // diff compares with what is deployed: without the alarm flag, the subscription would go.
    const diff = await ees(['diff']);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/AlarmTopic/);
  });

  it.concurrent('refuses IAM changes in a non-interactive run without --yes, and changes nothing', async () => {
    const { standIn, ees } = await rehearsal();
    const result = await ees(['deploy']);
    expect(result.code).toBe(2);
    expect(errorLines(result.stderr)).toEqual(['ees: The deploy of ees changes IAM permissions, and a non-interactive run needs --yes to allow that. The stack was not changed.']);
    expect(cloudFormationCalls(standIn, 'ExecuteChangeSet')).toEqual([]);
    expect(standIn.stack('ees')?.status ?? 'none').not.toMatch(/COMPLETE$/);
  });

  it.concurrent('bootstraps a new environment only with --yes in CI', async () => {
    const { standIn, ees } = await rehearsal({});
    const refused = await ees(['deploy', '--json']);
    expect(refused.code).toBe(2);
    expect(errorLines(refused.stderr)).toEqual(['ees: aws://123456789012/eu-west-1 is not bootstrapped for the CDK. Pass --yes to allow it in a non-interactive run.']);
    expect(cloudFormationCalls(standIn, 'CreateChangeSet')).toEqual([]);

    const done = await ees(['deploy', '--yes', '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(cloudFormationCalls(standIn, 'ExecuteChangeSet').map((call) => call.params['StackName'])).toEqual(['CDKToolkit', expect.stringContaining('ees')]);
    expect(JSON.parse(done.stdout)).toMatchObject({ bootstrapped: true });
  });

  it.concurrent('says when the bootstrap stack is too old and upgrades it with --yes', async () => {
    const { standIn, ees } = await rehearsal({ bootstrapVersion: 5 });
    const refused = await ees(['deploy']);
    expect(refused.code).toBe(2);
    expect(errorLines(refused.stderr)).toEqual([
      'ees: aws://123456789012/eu-west-1 is bootstrapped with version 5 of the CDK bootstrap stack; this stack needs version 6 or later. Pass --yes to allow it in a non-interactive run.',
    ]);
    expect(refused.stderr).not.toContain('cdk bootstrap');
    const upgraded = await ees(['deploy', '--yes']);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(cloudFormationCalls(standIn, 'CreateChangeSet', 'CDKToolkit')[0]!.params['ChangeSetType']).toBe('UPDATE');
    expect(standIn.stack('ees')!.status).toBe('CREATE_COMPLETE');
  });

  it.concurrent('stops at once with exit 6 on expired credentials, and exit 2 on --profile', async () => {
    const { standIn, ees } = await rehearsal({ bootstrapVersion: 30, expiredCredentials: true });
    for (const command of ['deploy', 'diff', 'destroy']) {
      const result = await ees([command, '--yes']);
      expect(result.code, command).toBe(6);
      expect(errorLines(result.stderr), command).toEqual([expect.stringMatching(/^ees: No usable AWS credentials for eu-west-1 \(The security token included in the request is expired\)/)]);
    }
    expect(actions(standIn.calls, 'cloudformation')).toEqual([]);
    const profile = await ees(['deploy', '--profile', 'prod']);
    expect(profile.code).toBe(2);
    expect(errorLines(profile.stderr)[0]).toContain('--aws-profile');
  });

  it.concurrent('destroys the stack and keeps the tables; deletes them only with --delete-data, after the stack is gone', async () => {
    const kept = await rehearsal();
    expect((await kept.ees(['deploy', '--yes'])).code).toBe(0);
    const removed = await kept.ees(['destroy', '--yes', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ deleted_tables: [], kept_tables: [expect.stringContaining('EventsTable'), expect.stringContaining('MetaTable')] });
    expect(cloudFormationCalls(kept.standIn, 'DeleteStack')).toHaveLength(1);
    expect(kept.standIn.stack('ees')).toBeUndefined();
    expect(kept.standIn.deletedTables()).toEqual([]);

    const dropped = await rehearsal();
    expect((await dropped.ees(['deploy', '--yes'])).code).toBe(0);
    const tables = [dropped.standIn.stack('ees')!.outputs['EventsTableName'], dropped.standIn.stack('ees')!.outputs['MetaTableName']];
    const result = await dropped.ees(['destroy', '--yes', '--delete-data']);
    expect(result.code, result.stderr).toBe(0);
    expect(dropped.standIn.deletedTables()).toEqual(tables);
    const order = dropped.standIn.calls.map((call) => call.action);
    expect(order.indexOf('DeleteTable')).toBeGreaterThan(order.lastIndexOf('DeleteStack'));
  });

  it.concurrent('deletes no table when the stack deletion fails', async () => {
    const { standIn, ees } = await rehearsal({ bootstrapVersion: 30, failStackDeletion: true });
    expect((await ees(['deploy', '--yes'])).code).toBe(0);
    const result = await ees(['destroy', '--yes', '--delete-data']);
    expect(result.code).toBe(1);
    expect(cloudFormationCalls(standIn, 'DeleteStack')).toHaveLength(1);
    expect(standIn.deletedTables()).toEqual([]);
  });

  it.concurrent('leaves no temporary folder behind: removed on Ctrl-C, and swept after a run that was killed outright', async () => {
    const { temporary, env, standIn } = await rehearsal();
    mkdirSync(join(temporary, 'ees-cdk-999999999-left'));
    const child = spawn(process.execPath, [BIN, 'deploy', '--yes', '--region', standIn.region], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === null ? null : 128))));
    // Interrupt it once it is publishing the assets, with its cloud assembly on disk.
    await new Promise<void>((resolve) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/Publish|Upload|Check s3/.test(stderr)) resolve();
      });
    });
    expect(readdirSync(temporary).filter((entry) => entry.startsWith(`ees-cdk-${child.pid}-`))).toHaveLength(1);
    expect(readdirSync(temporary)).not.toContain('ees-cdk-999999999-left');
    child.kill('SIGINT');
    expect(await exited).not.toBe(0);
    expect(readdirSync(temporary).filter((entry) => entry.startsWith('ees-'))).toEqual([]);
    // synth sweeps its own leftovers the same way.
    mkdirSync(join(temporary, 'ees-synth-999999999-left'));
    expect((await runCli(['synth'], { env })).code).toBe(0);
    expect(readdirSync(temporary).filter((entry) => entry.startsWith('ees-'))).toEqual([]);
  });

  /** The template an older ees deployed: the given layout and global indexes, without the outputs it did not have yet. */
  function olderTemplate(options: { eventsTableVersion: 1 | 2; eventsTableGlobalIndexes: string[]; withoutOutputs: string[] }): Template {
    const outdir = mkdtempSync(join(tmpdir(), 'ees-synth-'));
    cleanups.push(() => rmSync(outdir, { recursive: true, force: true }));
    const { app, stack } = buildApp({ stackName: 'ees', eventsTableVersion: options.eventsTableVersion, eventsTableGlobalIndexes: options.eventsTableGlobalIndexes, lambdaCodeDirectory: lambdaCodeDirectory(), outdir });
    const template = app.synth().getStackByName(stack.stackName).template as Template;
    for (const output of options.withoutOutputs) delete template.Outputs![output];
    return template;
  }
  const eventsTable = (template: Template) =>
    Object.values(template.Resources ?? {}).find((resource) => resource.Type === 'AWS::DynamoDB::Table' && resource.Properties?.['StreamSpecification'] !== undefined)!;
  const globalIndexes = (template: Template) => ((eventsTable(template).Properties!['GlobalSecondaryIndexes'] ?? []) as { IndexName: string }[]).map((index) => index.IndexName);

  it.concurrent('keeps the events table layout of a stack deployed before layout 2, so CloudFormation does not replace the table', async () => {
    const { standIn, ees } = await rehearsal();
    // As deployed by an ees that had neither the version output nor the newer global indexes.
    const old = olderTemplate({ eventsTableVersion: 1, eventsTableGlobalIndexes: ['global_order'], withoutOutputs: ['EventsTableVersion', 'EventsTableIndexes'] });
    standIn.putStack('ees', old);
    const localIndexes = (template: Template) => ((eventsTable(template).Properties!['LocalSecondaryIndexes'] ?? []) as { IndexName: string }[]).map((index) => index.IndexName).sort();
    expect(localIndexes(old)).toEqual(['first_event_id', 'last_event_id']);
    const update = await ees(['deploy', '--yes']);
    expect(update.code, update.stderr).toBe(0);
    expect(localIndexes(standIn.stack('ees')!.template)).toEqual(['first_event_id', 'last_event_id']);
    expect(standIn.stack('ees')!.outputs['EventsTableVersion']).toBe('1');
    expect(globalIndexes(standIn.stack('ees')!.template)).toEqual(['global_order', 'unindexed', 'stream_list']);
  });

  it.concurrent("adds the events table's new global indexes to a stack deployed with only global_order, one per update", async () => {
    const { standIn, ees } = await rehearsal();
    const old = olderTemplate({ eventsTableVersion: 2, eventsTableGlobalIndexes: ['global_order'], withoutOutputs: ['EventsTableIndexes'] });
    standIn.putStack('ees', old);
    expect(globalIndexes(old)).toEqual(['global_order']);
    const executed = () => cloudFormationCalls(standIn, 'ExecuteChangeSet', 'ees').length;
    const update = await ees(['deploy', '--yes', '--json']);
    expect(update.code, update.stderr).toBe(0);
    expect(executed()).toBe(2);
    expect(update.stderr).toMatch(/Adding the events table's index unindexed \(step 1 of 2\)/);
    expect(update.stderr).toMatch(/Adding the events table's index stream_list \(step 2 of 2\)/);
    const deployed = standIn.stack('ees')!;
    expect(deployed.status).toBe('UPDATE_COMPLETE');
    expect(globalIndexes(deployed.template)).toEqual(['global_order', 'unindexed', 'stream_list']);
    expect(deployed.outputs['EventsTableIndexes']).toBe('global_order,unindexed,stream_list');
    expect((JSON.parse(update.stdout) as { outputs: Record<string, string> }).outputs['EventsTableIndexes']).toBe('global_order,unindexed,stream_list');
    // Least privilege names only the indexes the template has, at every step.
    const policyIndexes = (template: Template) =>
      [...JSON.stringify(Object.values(template.Resources ?? {}).filter((resource) => resource.Type === 'AWS::IAM::Policy')).matchAll(/\/index\/([a-z_]+)/g)].map((match) => match[1]);
    expect(new Set(policyIndexes(old))).toEqual(new Set(['last_event_id', 'global_order']));
    expect(new Set(policyIndexes(deployed.template))).toEqual(new Set(['last_event_id', 'global_order', 'unindexed', 'stream_list']));

    // Nothing left to add: the next deploy is one update (or none).
    const again = await ees(['deploy', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("the events table's index");
    expect(executed()).toBeLessThanOrEqual(3);
  });

  it.concurrent('the stand-in fails an update that adds two global indexes at once, as CloudFormation does', async () => {
    const { standIn } = await rehearsal();
    standIn.putStack('ees', olderTemplate({ eventsTableVersion: 2, eventsTableGlobalIndexes: ['global_order'], withoutOutputs: ['EventsTableIndexes'] }));
    const full = olderTemplate({ eventsTableVersion: 2, eventsTableGlobalIndexes: ['global_order', 'unindexed', 'stream_list'], withoutOutputs: [] });
    const cloudFormation = new CloudFormationClient({ region: standIn.region, endpoint: standIn.endpoint, credentials: { accessKeyId: 'AKIASTANDIN', secretAccessKey: 'stand-in' } });
    cleanups.push(() => cloudFormation.destroy());
    await cloudFormation.send(new CreateChangeSetCommand({ StackName: 'ees', ChangeSetName: 'two-indexes', ChangeSetType: 'UPDATE', TemplateBody: JSON.stringify(full) }));
    await cloudFormation.send(new ExecuteChangeSetCommand({ StackName: 'ees', ChangeSetName: 'two-indexes' }));
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: 'ees' }));
    expect(Stacks![0]!.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const { StackEvents } = await cloudFormation.send(new DescribeStackEventsCommand({ StackName: 'ees' }));
    expect(StackEvents!.find((item) => item.ResourceStatus === 'UPDATE_FAILED')).toMatchObject({
      ResourceType: 'AWS::DynamoDB::Table',
      ResourceStatusReason: 'Cannot perform more than one GSI creation or deletion in a single update',
    });
    expect(globalIndexes(standIn.stack('ees')!.template)).toEqual(['global_order']);
  });
});
