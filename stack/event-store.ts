import { Duration, RemovalPolicy, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { join } from 'node:path';
import { EVENTS_TABLE, EVENTS_TABLE_V1, META_TABLE, type KeyDefinition, type TableDefinition } from '../src/engines/dynamodb/schema.js';
import { STREAM_MAPPINGS } from '../src/engines/dynamodb/stream-mapping.js';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../src/lambda/metric-names.js';
import type { LambdaName } from './lambda-code.js';

export interface EventStoreProps {
  /** Folder holding the prebuilt bundles, one subfolder per function (dist/lambda). */
  readonly lambdaCodeDirectory: string;
  /** Open the API to anyone who has the URL (no IAM authorization). */
  readonly public?: boolean | undefined;
  /** Requests per second API Gateway lets through, and the burst above it. */
  readonly throttling?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * The events table's layout version (schema.ts). A stack deployed with an older layout keeps it:
   * CloudFormation cannot change a table's local indexes in place and would make a new, empty table.
   */
  readonly eventsTableVersion?: 1 | 2 | undefined;
  /**
   * The events table's global indexes to include (default: all of EVENTS_TABLE's). CloudFormation
   * adds or removes at most one global index per update, so a deploy adds new ones a step at a time.
   */
  readonly eventsTableGlobalIndexes?: readonly string[] | undefined;
  /** Where alarms go: an email address (subscribed to a topic the stack creates, or to `topicArn`), an existing topic, or both. */
  readonly alarms?: AlarmTargets | undefined;
}

/** Where alarms notify: an email address, an existing SNS topic, or both. */
export interface AlarmTargets {
  readonly email?: string | undefined;
  readonly topicArn?: string | undefined;
}

/** Names of the stack outputs the CLI reads (profiles, `--stack`). */
export const OUTPUTS = {
  apiEndpoint: 'ApiEndpoint',
  changesetsTopicArn: 'ChangesetsTopicArn',
  eventsTopicArn: 'EventsTopicArn',
  eventsTableName: 'EventsTableName',
  metaTableName: 'MetaTableName',
  eventsTableVersion: 'EventsTableVersion',
  /** The events table's global indexes, comma-separated (a stack deployed without it has only `global_order`). */
  eventsTableIndexes: 'EventsTableIndexes',
  auth: 'Auth',
  indexerDeadLetterQueueUrl: 'IndexerDeadLetterQueueUrl',
  publisherDeadLetterQueueUrl: 'PublisherDeadLetterQueueUrl',
} as const;

/**
 * Memory per function, in MB (Lambda gives CPU in proportion: 1,769 MB is one vCPU). Chosen from
 * measured peak memory and CPU time per invocation: docs/cost.md, "Memory sizes".
 */
export const MEMORY_SIZES: Record<LambdaName, number> = { api: 512, indexer: 512, publisher: 512, projector: 512 };

const attribute = (key: KeyDefinition): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

/** A stream mapping's filter on the records' event names (FilterRule and FilterCriteria are declared to return `any`). */
function onlyEventNames(names: readonly string[]): Record<string, unknown> {
  const rules: unknown[] = names.map((name): unknown => lambda.FilterRule.isEqual(name));
  return lambda.FilterCriteria.filter({ eventName: rules.flat() });
}

/**
 * A cdk-nag finding this stack accepts, with the reason next to the code, through CDK's own
 * `Validations` (so the stack needs no cdk-nag at run time; the tests run the rule packs).
 */
export function acceptFinding(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/**
 * The DynamoDB actions a function may call, on a table and its named indexes (from the shared
 * definition): nothing more, and no wildcard.
 */
function allowTableActions(fn: lambda.Function, table: dynamodb.Table, definition: TableDefinition, actions: readonly string[]): void {
  const indexes = [...definition.localIndexes, ...definition.globalIndexes].map((index) => `${table.tableArn}/index/${index.indexName}`);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: actions.map((action) => `dynamodb:${action}`), resources: [table.tableArn, ...indexes] }));
}

/** The definition with only the named global indexes (all of them when none are named). */
function withGlobalIndexes(definition: TableDefinition, names: readonly string[] | undefined): TableDefinition {
  if (names === undefined) return definition;
  const unknown = names.filter((name) => !definition.globalIndexes.some((index) => index.indexName === name));
  if (unknown.length > 0) throw new Error(`The events table has no global index ${unknown.join(', ')}`);
  return { ...definition, globalIndexes: definition.globalIndexes.filter((index) => names.includes(index.indexName)) };
}

/** A table from the shared definition that `ees dev` uses too, so the two never drift. */
function tableFrom(scope: Construct, id: string, definition: TableDefinition): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: attribute(definition.partitionKey),
    ...(definition.sortKey === undefined ? {} : { sortKey: attribute(definition.sortKey) }),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // The data outlives the stack: `ees destroy` keeps it unless asked otherwise.
    removalPolicy: RemovalPolicy.RETAIN,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    ...(definition.stream === undefined ? {} : { stream: dynamodb.StreamViewType.NEW_IMAGE }),
  });
  for (const index of definition.localIndexes) {
    table.addLocalSecondaryIndex({ indexName: index.indexName, sortKey: attribute(index.sortKey), projectionType: dynamodb.ProjectionType.KEYS_ONLY });
  }
  for (const index of definition.globalIndexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      sortKey: attribute(index.sortKey),
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }
  return table;
}

/**
 * The serverless event store: API Gateway → Lambda → DynamoDB with streams, the global indexer,
 * the SNS publisher, dead-letter queues, the statistics projector and alarms. A construct with no
 * side effects: it only declares resources.
 */
export class EventStore extends Construct {
  readonly api: apigateway.RestApi;
  readonly eventsTable: dynamodb.Table;
  readonly metaTable: dynamodb.Table;
  readonly changesetsTopic: sns.Topic;
  readonly eventsTopic: sns.Topic;
  readonly functions: Record<LambdaName, lambda.Function>;
  readonly deadLetterQueues: { readonly indexer: sqs.Queue; readonly publisher: sqs.Queue };
  /** The operations dashboard: commits, conflicts, indexing, lag, publishing failures, dead letters, repairs. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: EventStoreProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;

    const eventsDefinition = withGlobalIndexes(props.eventsTableVersion === 1 ? EVENTS_TABLE_V1 : EVENTS_TABLE, props.eventsTableGlobalIndexes);
    this.eventsTable = tableFrom(this, 'EventsTable', eventsDefinition);
    this.metaTable = tableFrom(this, 'MetaTable', META_TABLE);
    const tableEnvironment = { EES_EVENTS_TABLE: this.eventsTable.tableName, EES_META_TABLE: this.metaTable.tableName };

    const snsKey = kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns');
    // High-throughput FIFO: the topic-wide quota (3,000 messages/s) becomes a per-message-group one,
    // so one busy stream does not slow the others; deduplication is then per group, and our
    // deduplication ids are unique per message anyway.
    const fifoThroughputScope = sns.FifoThroughputScope.MESSAGE_GROUP;
    this.changesetsTopic = new sns.Topic(this, 'ChangesetsTopic', { fifo: true, fifoThroughputScope, topicName: `${stackName}-changesets.fifo`, masterKey: snsKey });
    this.eventsTopic = new sns.Topic(this, 'EventsTopic', { fifo: true, fifoThroughputScope, topicName: `${stackName}-events.fifo`, masterKey: snsKey });

    const fn = (name: LambdaName, options: { timeout: Duration; memorySize: number; environment: Record<string, string>; description: string }) =>
      new lambda.Function(this, `${name[0]!.toUpperCase()}${name.slice(1)}Function`, {
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: lambda.Code.fromAsset(join(props.lambdaCodeDirectory, name)),
        timeout: options.timeout,
        memorySize: options.memorySize,
        description: options.description,
        // Powertools: the stack's name is the `service` of every log line and metric (the dashboard's dimension).
        environment: { ...options.environment, NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: stackName, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE },
        logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
      });

    this.functions = {
      api: fn('api', { timeout: Duration.seconds(29), memorySize: MEMORY_SIZES.api, environment: tableEnvironment, description: 'ees: the HTTP API' }),
      indexer: fn('indexer', { timeout: Duration.minutes(1), memorySize: MEMORY_SIZES.indexer, environment: tableEnvironment, description: 'ees: assigns global checkpoints' }),
      publisher: fn('publisher', {
        timeout: Duration.minutes(1),
        memorySize: MEMORY_SIZES.publisher,
        environment: { EES_CHANGESETS_TOPIC_ARN: this.changesetsTopic.topicArn, EES_EVENTS_TOPIC_ARN: this.eventsTopic.topicArn, EES_META_TABLE: this.metaTable.tableName },
        description: 'ees: publishes changesets and events to SNS',
      }),
      projector: fn('projector', { timeout: Duration.minutes(5), memorySize: MEMORY_SIZES.projector, environment: tableEnvironment, description: 'ees: projects the statistics' }),
    };

    // Least privilege: each function gets exactly the data-plane actions its code calls, on these
    // tables only (test/stack/least-privilege.test.ts checks them against the built bundles). The
    // tables are append-only: no DeleteItem, Scan or BatchWriteItem anywhere.
    allowTableActions(this.functions.api, this.eventsTable, eventsDefinition, ['Query', 'PutItem', 'BatchGetItem']);
    // GetItem reads the statistics and consumers; PutItem saves consumers (one conditional put).
    allowTableActions(this.functions.api, this.metaTable, META_TABLE, ['GetItem', 'PutItem']);
    // The indexer's transaction updates event items (page, page_item) and its counter in the meta table.
    allowTableActions(this.functions.indexer, this.eventsTable, eventsDefinition, ['Query', 'BatchGetItem', 'UpdateItem']);
    allowTableActions(this.functions.indexer, this.metaTable, META_TABLE, ['GetItem', 'UpdateItem']);
    allowTableActions(this.functions.projector, this.eventsTable, eventsDefinition, ['Query', 'BatchGetItem']);
    allowTableActions(this.functions.projector, this.metaTable, META_TABLE, ['GetItem', 'PutItem']);
    for (const fn of Object.values(this.functions)) {
      acceptFinding(fn, 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'The basic execution role only lets the function write its own CloudWatch logs.');
      acceptFinding(fn, 'AwsSolutions::AwsSolutions-L1', 'Node.js 22 is the runtime the bundles are built for (esbuild target node22) and tested on.');
      acceptFinding(fn, 'Serverless::Serverless-LambdaLatestVersion', 'Node.js 22 is the runtime the bundles are built for (esbuild target node22) and tested on.');
      acceptFinding(fn, 'Serverless::Serverless-LambdaTracing', 'X-Ray is billed per trace on the commit path; the functions log and alarm instead. Enable it in a fork if you need traces.');
    }
    acceptFinding(this.functions.api, 'Serverless::Serverless-LambdaDLQ', 'API Gateway invokes the api function synchronously: a failure is answered to the caller, there is nothing to queue.');
    acceptFinding(this.functions.indexer, 'Serverless::Serverless-LambdaDLQ', 'Invoked by its DynamoDB stream mapping, whose on-failure destination is the indexer dead-letter queue.');
    acceptFinding(this.functions.publisher, 'Serverless::Serverless-LambdaDLQ', 'Invoked by its DynamoDB stream mapping, whose on-failure destination is the publisher dead-letter queue.');
    acceptFinding(this.functions.projector, 'Serverless::Serverless-LambdaDLQ', 'The projector is idempotent and runs every minute: the next run does what a failed one did not.');
    // DynamoEventSource grants dynamodb:ListStreams, which IAM supports only on "*".
    acceptFinding(this.functions.indexer, 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', 'dynamodb:ListStreams (for the stream mapping) supports no resource-level permissions.');
    acceptFinding(this.functions.publisher, 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', 'dynamodb:ListStreams (for the stream mapping) supports no resource-level permissions.');
    this.changesetsTopic.grantPublish(this.functions.publisher);
    this.eventsTopic.grantPublish(this.functions.publisher);
    // The publisher's progress items (publisher/<stream id>): read one, move it forward.
    allowTableActions(this.functions.publisher, this.metaTable, META_TABLE, ['GetItem', 'UpdateItem']);

    // The dead-letter queues are the record of what failed: they outlive the stack, like the tables.
    const deadLetterQueue = (name: string) => {
      const queue = new sqs.Queue(this, `${name}DeadLetterQueue`, { retentionPeriod: Duration.days(14), encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy: RemovalPolicy.RETAIN });
      acceptFinding(queue, 'Serverless::Serverless-SQSRedrivePolicy', 'This queue is itself a dead-letter queue (of a stream mapping).');
      acceptFinding(queue, 'AwsSolutions::AwsSolutions-SQS3', 'This queue is itself a dead-letter queue (of a stream mapping).');
      return queue;
    };
    this.deadLetterQueues = { indexer: deadLetterQueue('Indexer'), publisher: deadLetterQueue('Publisher') };

    // aws-cdk-lib declares Table.tableStreamArn as `string | undefined` but ITable's as optional,
    // which exactOptionalPropertyTypes treats as different; the table is the same object.
    const streamSource = this.eventsTable as dynamodb.ITable;
    // The mappings' batching and retries are defined once, with the dev stream poller (stream-mapping.ts).
    const { indexer: indexerMapping, publisher: publisherMapping } = STREAM_MAPPINGS;
    this.functions.indexer.addEventSource(
      new DynamoEventSource(streamSource, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        // Commits only: the indexer's own updates (MODIFY records) must not invoke anything.
        filters: [onlyEventNames(indexerMapping.eventNames)],
        batchSize: indexerMapping.batchSize,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: indexerMapping.bisectBatchOnError,
        retryAttempts: indexerMapping.retryAttempts,
        onFailure: new SqsDlq(this.deadLetterQueues.indexer),
      }),
    );
    this.functions.publisher.addEventSource(
      new DynamoEventSource(streamSource, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        filters: [onlyEventNames(publisherMapping.eventNames)],
        batchSize: publisherMapping.batchSize,
        bisectBatchOnError: publisherMapping.bisectBatchOnError,
        retryAttempts: publisherMapping.retryAttempts,
        reportBatchItemFailures: true,
        // One batch at a time per shard keeps each stream's order on the FIFO topics.
        parallelizationFactor: 1,
        onFailure: new SqsDlq(this.deadLetterQueues.publisher),
      }),
    );
    const schedule = new events.Rule(this, 'ProjectorSchedule', {
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.functions.projector, { retryAttempts: 2 })],
    });
    acceptFinding(schedule, 'Serverless::Serverless-EventBusDLQ', 'A missed projector run is made up by the next one, a minute later.');

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const throttling = props.throttling ?? { rateLimit: 1000, burstLimit: 2000 };
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${stackName}-api`,
      description: 'Elastic Event Store HTTP API',
      deployOptions: {
        stageName: 'prod',
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
        // Execution logs of errors only: requests that fail in API Gateway itself are visible.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
      },
      cloudWatchRole: true,
      defaultMethodOptions: { authorizationType: props.public === true ? apigateway.AuthorizationType.NONE : apigateway.AuthorizationType.IAM },
      defaultIntegration: new apigateway.LambdaIntegration(this.functions.api, { proxy: true }),
    });
    acceptFinding(this.api, 'AwsSolutions::AwsSolutions-APIG2', 'The api function validates every request itself and answers with the API contract\'s error codes; a gateway validator would answer with other bodies.');
    acceptFinding(this.api, 'AwsSolutions::AwsSolutions-APIG3', 'Every method requires IAM (SigV4) authorization; a WAF web ACL is billed monthly and can be attached to the stage where wanted (README, Security).');
    acceptFinding(this.api, 'Serverless::Serverless-APIGWXrayEnabled', 'X-Ray is billed per trace; access logs and alarms cover the API.');
    acceptFinding(this.api, 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', 'The account-level role API Gateway needs to write access and execution logs.');
    if (props.public === true) acceptFinding(this.api, 'AwsSolutions::AwsSolutions-APIG4', 'A public API is opened on purpose (--public), and says so at deploy.');
    acceptFinding(this.api, 'AwsSolutions::AwsSolutions-COG4', props.public === true ? 'A public API is opened on purpose (--public), and says so at deploy.' : 'Methods use IAM (SigV4) authorization, not Cognito: callers are AWS principals.');
    // RestApi adds an output of its own; ApiEndpoint below is the one the CLI reads.
    this.api.node.tryRemoveChild('Endpoint');
    // The six routes of the API; ANY beside each lets the handler answer 405 for other methods,
    // and a catch-all lets it answer 404 INVALID_ENDPOINT instead of API Gateway's own 403.
    const root = this.api.root;
    const version = root.addResource('version');
    const changesets = root.addResource('changesets');
    const streams = root.addResource('streams');
    const stream = streams.addResource('{stream_id}');
    const streamChangesets = stream.addResource('changesets');
    const streamEvents = stream.addResource('events');
    for (const [resource, method] of [
      [version, 'GET'],
      [changesets, 'GET'],
      [streams, 'GET'],
      [stream, 'POST'],
      [streamChangesets, 'GET'],
      [streamEvents, 'GET'],
    ] as const) {
      resource.addMethod(method);
      resource.addMethod('ANY');
    }
    root.addProxy({ anyMethod: true });

    const alarmAction = this.alarmAction(props.alarms);
    const alarm = (id: string, props: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, id, props);
      if (alarmAction !== undefined) {
        created.addAlarmAction(alarmAction);
        created.addOkAction(alarmAction);
      }
      return created;
    };
    for (const [name, queue, what] of [
      ['Indexer', this.deadLetterQueues.indexer, 'Changesets the indexer gave up on after 24 hours of retries: they are missing from the global order until `ees repair` indexes them (or a later commit to their stream pulls them in).'],
      ['Publisher', this.deadLetterQueues.publisher, 'Changesets that were not published to SNS.'],
    ] as const) {
      alarm(`${name}DeadLettersAlarm`, {
        alarmDescription: what,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    for (const [name, fn, what] of [
      ['Indexer', this.functions.indexer, 'The indexer is falling behind the events table stream: new changesets are late in the global order.'],
      ['Publisher', this.functions.publisher, 'The publisher is falling behind the events table stream: subscribers of the SNS topics get changesets late.'],
    ] as const) {
      alarm(`${name}IteratorAgeAlarm`, {
        alarmDescription: what,
        metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: 60_000,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    this.dashboard = this.operatingDashboard(stackName);

    new CfnOutput(this, OUTPUTS.apiEndpoint, { key: OUTPUTS.apiEndpoint, value: this.api.url, description: 'API Gateway endpoint URL' });
    new CfnOutput(this, OUTPUTS.changesetsTopicArn, { key: OUTPUTS.changesetsTopicArn, value: this.changesetsTopic.topicArn });
    new CfnOutput(this, OUTPUTS.eventsTopicArn, { key: OUTPUTS.eventsTopicArn, value: this.eventsTopic.topicArn });
    new CfnOutput(this, OUTPUTS.eventsTableName, { key: OUTPUTS.eventsTableName, value: this.eventsTable.tableName });
    new CfnOutput(this, OUTPUTS.metaTableName, { key: OUTPUTS.metaTableName, value: this.metaTable.tableName });
    new CfnOutput(this, OUTPUTS.eventsTableVersion, { key: OUTPUTS.eventsTableVersion, value: String(eventsDefinition.version), description: 'Layout version of the events table (kept across deploys)' });
    new CfnOutput(this, OUTPUTS.eventsTableIndexes, {
      key: OUTPUTS.eventsTableIndexes,
      value: eventsDefinition.globalIndexes.map((index) => index.indexName).join(','),
      description: 'Global indexes of the events table (ees deploy adds new ones one per update)',
    });
    new CfnOutput(this, OUTPUTS.auth, { key: OUTPUTS.auth, value: props.public === true ? 'none' : 'iam' });
    // `ees dlq` finds the queues here.
    new CfnOutput(this, OUTPUTS.indexerDeadLetterQueueUrl, { key: OUTPUTS.indexerDeadLetterQueueUrl, value: this.deadLetterQueues.indexer.queueUrl });
    new CfnOutput(this, OUTPUTS.publisherDeadLetterQueueUrl, { key: OUTPUTS.publisherDeadLetterQueueUrl, value: this.deadLetterQueues.publisher.queueUrl });
  }

  /** What to watch, on one page: the functions' own metrics (observability.ts), lag, and dead letters. */
  private operatingDashboard(stackName: string): cloudwatch.Dashboard {
    const metric = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: stackName }, statistic, period: Duration.minutes(1), label });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) => new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: `${stackName}-operations`, defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      graph('Commits and conflicts', [metric(METRIC_NAMES.commits, 'Sum', 'commits'), metric(METRIC_NAMES.conflicts, 'Sum', 'conflicts (409)')]),
      graph('Global order: changesets indexed and latency', [metric(METRIC_NAMES.changesetsIndexed, 'Sum', 'indexed')], [metric(METRIC_NAMES.indexingLatency, 'p99', 'latency p99 (ms)'), metric(METRIC_NAMES.indexingLatency, 'Maximum', 'latency max (ms)')]),
      graph('Stream lag (iterator age, ms)', [this.functions.indexer.metric('IteratorAge', { statistic: 'Maximum', label: 'indexer' }), this.functions.publisher.metric('IteratorAge', { statistic: 'Maximum', label: 'publisher' })]),
    );
    dashboard.addWidgets(
      graph('Publishing failures (messages SNS refused, retried)', [metric(METRIC_NAMES.publishFailures, 'Sum', 'refused')]),
      graph('Dead letters and repairs', [
        this.deadLetterQueues.indexer.metricApproximateNumberOfMessagesVisible({ label: 'indexer dead letters' }),
        this.deadLetterQueues.publisher.metricApproximateNumberOfMessagesVisible({ label: 'publisher dead letters' }),
      ], [metric(METRIC_NAMES.repairActions, 'Sum', 'repair actions')]),
      graph('Function errors and throttles', Object.entries(this.functions).flatMap(([name, fn]) => [fn.metricErrors({ label: `${name} errors` }), fn.metricThrottles({ label: `${name} throttles` })])),
    );
    return dashboard;
  }

  /** The SNS action every alarm notifies: a topic with the given email subscribed, and/or an existing topic. */
  private alarmAction(alarms: EventStoreProps['alarms']): cloudwatch.IAlarmAction | undefined {
    if (alarms?.email === undefined && alarms?.topicArn === undefined) return undefined;
    let topic: sns.ITopic;
    if (alarms.topicArn !== undefined) topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', alarms.topicArn);
    else {
      const created = new sns.Topic(this, 'AlarmTopic', { displayName: `${Stack.of(this).stackName} alarms`, enforceSSL: true });
      acceptFinding(created, 'AwsSolutions-SNS2', 'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key; this topic carries alarm notices only, never event data.');
      acceptFinding(created, 'Serverless-SNSRedrivePolicy', 'Alarm notices go to email; a dead-letter queue for an email subscription would hold nobody to read it.');
      topic = created;
    }
    // With both, the address is subscribed to the given topic.
    if (alarms.email !== undefined) topic.addSubscription(new subscriptions.EmailSubscription(alarms.email));
    return new cloudwatchActions.SnsAction(topic);
  }
}
