import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableInput, EVENTS_TABLE, META_TABLE } from '../../src/engines/dynamodb/schema.js';
import { buildApp } from '../../stack/app.js';
import { LAMBDA_ENTRIES, lambdaCodeDirectory } from '../../stack/lambda-code.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

describe('the AWS stack (synthesized for real)', () => {
  const outdirs: string[] = [];
  let template: Template;
  let publicTemplate: Template;

  const synth = (options: { public?: boolean; validateTemplate?: boolean; alarms?: { email?: string; topicArn?: string }; eventsTableGlobalIndexes?: string[] } = {}): Template => {
    const outdir = mkdtempSync(join(tmpdir(), 'ees-synth-'));
    outdirs.push(outdir);
    const { stack } = buildApp({ stackName: 'ees-test', lambdaCodeDirectory: lambdaCodeDirectory(), outdir, ...options });
    return Template.fromStack(stack);
  };

  beforeAll(() => {
    template = synth();
    publicTemplate = synth({ public: true });
  });
  afterAll(() => {
    for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
  });

  const resourcesOf = (type: string, from = template): Resources => from.findResources(type) as Resources;

  it('builds both tables from the shared schema definition, so dev and the stack cannot drift', () => {
    const tables = Object.values(resourcesOf('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(2);
    for (const definition of [EVENTS_TABLE, META_TABLE]) {
      const expected = createTableInput(definition, 'x');
      const table = tables.find((candidate) => JSON.stringify(candidate.Properties['KeySchema']) === JSON.stringify(expected.KeySchema))!;
      expect(table, definition.partitionKey.name).toBeDefined();
      expect(new Set(table.Properties['AttributeDefinitions'] as unknown[])).toEqual(new Set(expected.AttributeDefinitions));
      const sortByName = (indexes: unknown) => [...((indexes as { IndexName: string }[] | undefined) ?? [])].sort((a, b) => a.IndexName.localeCompare(b.IndexName));
      expect(sortByName(table.Properties['LocalSecondaryIndexes'])).toEqual(sortByName(expected.LocalSecondaryIndexes));
      expect(sortByName(table.Properties['GlobalSecondaryIndexes'])).toEqual(sortByName(expected.GlobalSecondaryIndexes));
      expect(table.Properties['BillingMode']).toBe('PAY_PER_REQUEST');
      expect(table.Properties['PointInTimeRecoverySpecification']).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
  });

  it('runs four functions on nodejs22.x and arm64', () => {
    const functions = Object.values(resourcesOf('AWS::Lambda::Function'));
    const ours = functions.filter((fn) => String(fn.Properties['Description'] as string | undefined ?? '').startsWith('ees:'));
    expect(ours).toHaveLength(4);
    for (const fn of ours) {
      expect(fn.Properties['Runtime']).toBe('nodejs22.x');
      expect(fn.Properties['Architectures']).toEqual(['arm64']);
      expect(fn.Properties['Handler']).toBe('index.handler');
    }
  });

  it('feeds the indexer and the publisher from the table stream, with bisect, bounded retries and a dead-letter queue each', () => {
    const mappings = Object.values(resourcesOf('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(2);
    const queues = Object.keys(resourcesOf('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    const destinations = new Set<string>();
    for (const mapping of mappings) {
      expect(mapping.Properties).toMatchObject({ BisectBatchOnFunctionError: true, StartingPosition: 'TRIM_HORIZON' });
      const arn = (mapping.Properties['DestinationConfig'] as { OnFailure: { Destination: { 'Fn::GetAtt': [string, string] } } }).OnFailure.Destination['Fn::GetAtt'];
      destinations.add(arn[0]);
    }
    expect([...destinations].sort()).toEqual([...queues].sort());
    // The indexer retries for the stream's whole retention (a dropped batch would be missing from
    // the global order); the publisher gives up sooner, to its dead-letter queue.
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1000, MaximumRetryAttempts: 10_000 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 100, MaximumRetryAttempts: 100 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'], ParallelizationFactor: 1 });
  });

  it('ships each bundle with its source map, since the functions run with --enable-source-maps', () => {
    for (const fn of Object.values(resourcesOf('AWS::Lambda::Function')).filter((candidate) => String(candidate.Properties['Description'] as string | undefined ?? '').startsWith('ees:'))) {
      expect((fn.Properties['Environment'] as { Variables: Record<string, string> }).Variables['NODE_OPTIONS']).toBe('--enable-source-maps');
    }
    for (const name of LAMBDA_ENTRIES) {
      const code = readFileSync(join(lambdaCodeDirectory(), name, 'index.js'), 'utf8');
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map'), name).toBe(true);
      expect((JSON.parse(readFileSync(join(lambdaCodeDirectory(), name, 'index.js.map'), 'utf8')) as { sources: string[] }).sources.some((source) => source.includes(`src/lambda/${name}.ts`))).toBe(true);
    }
  });

  it('projects the statistics every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  it('protects every API method with IAM by default, and opens them only with --public', () => {
    const methods = Object.values(resourcesOf('AWS::ApiGateway::Method'));
    expect(methods.length).toBeGreaterThanOrEqual(13);
    for (const method of methods) expect(method.Properties['AuthorizationType']).toBe('AWS_IAM');
    for (const method of Object.values(resourcesOf('AWS::ApiGateway::Method', publicTemplate))) expect(method.Properties['AuthorizationType']).toBe('NONE');
    const paths = Object.values(resourcesOf('AWS::ApiGateway::Resource')).map((resource) => resource.Properties['PathPart']);
    expect(paths.sort()).toEqual(['changesets', 'changesets', 'events', 'streams', 'version', '{proxy+}', '{stream_id}'].sort());
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 })]),
    });
  });

  it('publishes to two encrypted SNS FIFO topics named after the stack', () => {
    const topics = Object.values(resourcesOf('AWS::SNS::Topic'));
    expect(topics.map((topic) => topic.Properties['TopicName']).sort()).toEqual(['ees-test-changesets.fifo', 'ees-test-events.fifo']);
    for (const topic of topics) {
      expect(topic.Properties['FifoTopic']).toBe(true);
      expect(topic.Properties['FifoThroughputScope']).toBe('MessageGroup');
      expect(topic.Properties['KmsMasterKeyId']).toBeDefined();
    }
  });

  it('lets the publisher read and move its progress items in the meta table, and nothing more there', () => {
    const [publisher] = Object.entries(resourcesOf('AWS::Lambda::Function')).filter(([, fn]) => String(fn.Properties['Description']).includes('publishes'));
    expect((publisher![1].Properties['Environment'] as { Variables: Record<string, unknown> }).Variables).toHaveProperty('EES_META_TABLE');
    const [metaTable] = Object.keys(resourcesOf('AWS::DynamoDB::Table')).filter((id) => id.includes('MetaTable'));
    const role = (publisher![1].Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = Object.values(resourcesOf('AWS::IAM::Policy')).filter((policy) => (policy.Properties['Roles'] as { Ref: string }[]).some((entry) => entry.Ref === role));
    expect(policies.length).toBeGreaterThan(0);
    const onMeta = policies
      .flatMap((policy) => (policy.Properties['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement)
      .filter((statement) => JSON.stringify(statement.Resource).includes(metaTable!));
    expect(onMeta.flatMap((statement) => [statement.Action].flat()).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  });

  it('grants no wildcard actions', () => {
    const statements = Object.values(resourcesOf('AWS::IAM::Policy')).flatMap(
      (policy) => (policy.Properties['PolicyDocument'] as { Statement: { Action: string | string[] }[] }).Statement,
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of [statement.Action].flat()) expect(action, action).not.toContain('*');
    }
  });

  it('alarms on dead letters and on the indexer and the publisher falling behind, notifying nobody unless asked', () => {
    const alarms = Object.values(resourcesOf('AWS::CloudWatch::Alarm'));
    expect(alarms.map((alarm) => alarm.Properties['MetricName']).sort()).toEqual(['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible', 'IteratorAge', 'IteratorAge']);
    for (const alarm of alarms) expect(alarm.Properties['AlarmActions']).toBeUndefined();
  });

  it('wires every alarm to an email subscription or an existing topic', () => {
    const emailed = synth({ alarms: { email: 'ops@example.com' } });
    emailed.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const topicId = Object.keys(resourcesOf('AWS::SNS::Topic', emailed)).find((id) => id.includes('AlarmTopic'))!;
    for (const alarm of Object.values(resourcesOf('AWS::CloudWatch::Alarm', emailed))) {
      expect(alarm.Properties['AlarmActions']).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties['OKActions']).toEqual([{ Ref: topicId }]);
    }
    const pager = 'arn:aws:sns:eu-west-1:123456789012:pager';
    const existing = synth({ alarms: { topicArn: pager } });
    expect(Object.keys(resourcesOf('AWS::SNS::Topic', existing)).filter((id) => id.includes('AlarmTopic'))).toEqual([]);
    const alarms = Object.values(resourcesOf('AWS::CloudWatch::Alarm', existing));
    expect(alarms).toHaveLength(4);
    for (const alarm of alarms) expect(alarm.Properties['AlarmActions']).toEqual([pager]);
  });

  it('keeps the dead-letter queues when the stack is removed: they are the record of what failed', () => {
    const queues = Object.values(resourcesOf('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    for (const queue of queues) {
      expect(queue.DeletionPolicy).toBe('Retain');
      expect(queue.UpdateReplacePolicy).toBe('Retain');
    }
  });

  it('invokes the stream functions for commits (INSERT records) only, not for the indexer\'s own updates', () => {
    for (const mapping of Object.values(resourcesOf('AWS::Lambda::EventSourceMapping'))) {
      expect(mapping.Properties['FilterCriteria']).toEqual({ Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] });
    }
  });

  it('has an operations dashboard graphing the functions\' own metrics under the stack\'s service name, which every function logs and measures as', () => {
    const dashboards = Object.values(resourcesOf('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]!.Properties['DashboardBody']);
    for (const name of ['Commits', 'Conflicts', 'ChangesetsIndexed', 'IndexingLatency', 'PublishFailures', 'RepairActions', 'IteratorAge', 'ApproximateNumberOfMessagesVisible']) expect(body).toContain(name);
    expect(body).toContain('ElasticEventStore');
    expect(body).toMatch(/\\"service\\",\\"ees-test\\"/);
    for (const fn of Object.values(resourcesOf('AWS::Lambda::Function'))) {
      expect((fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'ees-test', POWERTOOLS_METRICS_NAMESPACE: 'ElasticEventStore' });
    }
  });

  it('outputs the endpoint, the topics, the tables, the dead-letter queues and the auth mode', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(['ApiEndpoint', 'Auth', 'ChangesetsTopicArn', 'EventsTableIndexes', 'EventsTableName', 'EventsTableVersion', 'EventsTopicArn', 'IndexerDeadLetterQueueUrl', 'MetaTableName', 'PublisherDeadLetterQueueUrl']);
    expect(outputs['EventsTableVersion']!['Value']).toBe('2');
    expect(outputs['EventsTableIndexes']!['Value']).toBe('global_order,unindexed,stream_list');
    expect(outputs['Auth']!['Value']).toBe('iam');
    expect(publicTemplate.findOutputs('Auth')['Auth']!['Value']).toBe('none');
  });

  it('includes only the named global indexes of the events table, and grants access to those alone', () => {
    const partial = synth({ eventsTableGlobalIndexes: ['global_order'] });
    const eventsTable = Object.values(resourcesOf('AWS::DynamoDB::Table', partial)).find((table) => table.Properties['StreamSpecification'] !== undefined)!;
    expect((eventsTable.Properties['GlobalSecondaryIndexes'] as { IndexName: string }[]).map((index) => index.IndexName)).toEqual(['global_order']);
    expect(partial.findOutputs('EventsTableIndexes')['EventsTableIndexes']!['Value']).toBe('global_order');
    const granted = [...JSON.stringify(resourcesOf('AWS::IAM::Policy', partial)).matchAll(/\/index\/([a-z_]+)/g)].map((match) => match[1]);
    expect(new Set(granted)).toEqual(new Set(['last_event_id', 'global_order']));
    expect(() => synth({ eventsTableGlobalIndexes: ['no_such_index'] })).toThrow(/no global index no_such_index/);
  });

  it('passes CloudFormation template validation', () => {
    expect(() => synth({ validateTemplate: true })).not.toThrow();
  });
});
