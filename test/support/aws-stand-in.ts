/**
 * A loopback stand-in for the AWS APIs a deploy calls — STS, CloudFormation, the S3 asset bucket,
 * SSM (the bootstrap version parameter) and DynamoDB's DeleteTable — so that the real deploy flow
 * and the real CDK toolkit library run end to end with `AWS_ENDPOINT_URL` pointing here. It speaks
 * each service's wire protocol (query/XML, JSON, REST/XML), records every call, and keeps a small
 * model of CloudFormation: stacks, change sets, events, outputs resolved from the template.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { resolveOutputs, resourcesOf, updateFailure, type Template } from './cloudformation-model.js';

export type { Template } from './cloudformation-model.js';

export const ACCOUNT = '123456789012';
export const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

export interface RecordedCall {
  readonly service: string;
  readonly action: string;
  readonly params: Record<string, string>;
}

interface StackEvent {
  readonly id: string;
  readonly logicalId: string;
  readonly type: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly time: string;
}

interface ChangeSet {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly template: Template;
  readonly parameters: Record<string, string>;
  readonly capabilities: readonly string[];
  readonly changes: readonly { action: 'Add' | 'Modify' | 'Remove'; logicalId: string; type: string }[];
}

interface StackState {
  readonly name: string;
  readonly id: string;
  status: string;
  template: Template;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  readonly events: StackEvent[];
  readonly changeSets: Map<string, ChangeSet>;
}

export interface StandInOptions {
  /** The bootstrap stack's version, or undefined when the environment is not bootstrapped. */
  readonly bootstrapVersion?: number;
  /** Make DeleteStack end in DELETE_FAILED. */
  readonly failStackDeletion?: boolean;
  /** Answer STS with ExpiredToken. */
  readonly expiredCredentials?: boolean;
}

export interface AwsStandIn {
  readonly endpoint: string;
  readonly calls: RecordedCall[];
  readonly region: string;
  /** Keys of the objects in the asset bucket. */
  objectKeys(): string[];
  stack(name: string): { status: string; outputs: Record<string, string>; template: Template } | undefined;
  deletedTables(): string[];
  /** A stack as an earlier deploy left it. */
  putStack(name: string, template: Template): void;
  /** The environment a CLI process needs to talk to this stand-in and nothing else. */
  env(home: string): Record<string, string>;
  close(): Promise<void>;
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `{a: 'x', b: [{c: 'y'}]}` as `<a>x</a><b><member><c>y</c></member></b>`, the query protocol's shape. */
function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .map(([key, inner]) => `<${key}>${toXml(inner)}</${key}>`)
      .join('');
  }
  return xmlEscape(typeof value === 'string' ? value : JSON.stringify(value));
}

/** Query-protocol lists (`Capabilities.member.1=…`) and maps of members, flattened by prefix. */
function members(params: Record<string, string>, prefix: string): string[] {
  return Object.keys(params)
    .filter((key) => new RegExp(`^${prefix}\\.member\\.\\d+$`).test(key))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
    .map((key) => params[key]!);
}

function parameterMembers(params: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (let index = 1; params[`Parameters.member.${index}.ParameterKey`] !== undefined; index++) {
    const key = params[`Parameters.member.${index}.ParameterKey`]!;
    const value = params[`Parameters.member.${index}.ParameterValue`];
    if (value !== undefined) result[key] = value;
  }
  return result;
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** S3 uploads may come `aws-chunked`: `<hex size>;chunk-signature=…\r\n<data>\r\n` … `0;…`. */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(offset, lineEnd).toString().split(';')[0]!, 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** The service a request is for, from the credential scope of its SigV4 signature. */
function serviceOf(request: IncomingMessage): string {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? '');
  return scope?.[1] ?? 'unsigned';
}

export async function startAwsStandIn(options: StandInOptions = {}, region = 'eu-west-1'): Promise<AwsStandIn> {
  const calls: RecordedCall[] = [];
  const stacks = new Map<string, StackState>();
  const objects = new Map<string, Buffer>();
  const ssm = new Map<string, string>();
  const deletedTables: string[] = [];
  let sequence = 0;
  const now = () => new Date(Date.UTC(2026, 11, 1, 10, 0, sequence++)).toISOString();

  const context = (stackName: string) => ({ account: ACCOUNT, region, stackName });
  const setOutputs = (stack: StackState) => {
    stack.outputs = resolveOutputs(stack.template, stack.parameters, context(stack.name));
    // What CloudFormation would do for the bootstrap stack's SSM parameter resources.
    for (const resource of Object.values(resourcesOf(stack.template, stack.parameters, context(stack.name)))) {
      if (resource.type === 'AWS::SSM::Parameter' && typeof resource.properties['Name'] === 'string') ssm.set(resource.properties['Name'], String(resource.properties['Value']));
    }
  };
  if (options.bootstrapVersion !== undefined) {
    const bucket = `cdk-hnb659fds-assets-${ACCOUNT}-${region}`;
    stacks.set('CDKToolkit', {
      name: 'CDKToolkit',
      id: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/CDKToolkit/1`,
      status: 'CREATE_COMPLETE',
      template: {},
      parameters: {},
      outputs: { BucketName: bucket, BucketDomainName: `${bucket}.s3.stand-in.invalid`, BootstrapVersion: String(options.bootstrapVersion) },
      events: [],
      changeSets: new Map(),
    });
    ssm.set(BOOTSTRAP_VERSION_PARAMETER, String(options.bootstrapVersion));
  }

  const stackDescription = (stack: StackState) => ({
    StackName: stack.name,
    StackId: stack.id,
    StackStatus: stack.status,
    CreationTime: '2026-12-01T10:00:00.000Z',
    Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
  });
  const event = (stack: StackState, logicalId: string, type: string, status: string, reason?: string) =>
    stack.events.unshift({ id: `event-${sequence}`, logicalId, type, status, reason, time: now() });

  const templateOf = (params: Record<string, string>): Template => {
    // The bootstrap template comes as YAML (in long-form intrinsics), ours as JSON: YAML reads both.
    if (params['TemplateBody'] !== undefined) return parseYaml(params['TemplateBody']) as Template;
    const url = new URL(params['TemplateURL']!);
    // https://s3.<region>.<suffix>/<bucket>/<key> or https://<bucket>.s3…/<key>
    const path = decodeURIComponent(url.pathname).replace(/^\//, '');
    const key = objects.has(path) ? path : `${url.hostname.split('.')[0]}/${path}`;
    const object = objects.get(key);
    if (object === undefined) throw new Error(`template ${key} was never uploaded`);
    return parseYaml(object.toString()) as Template;
  };

  const cloudFormation = (action: string, params: Record<string, string>): { status: number; body: unknown } => {
    const notFound = (name: string) => ({ status: 400, body: { error: 'ValidationError', message: `Stack with id ${name} does not exist` } });
    const stackName = params['StackName'] ?? '';
    const stack = stacks.get(stackName) ?? [...stacks.values()].find((candidate) => candidate.id === stackName);
    switch (action) {
      case 'DescribeStacks':
        if (stackName === '') return { status: 200, body: { Stacks: [...stacks.values()].map(stackDescription) } };
        if (stack === undefined || stack.status === 'DELETE_COMPLETE') return notFound(stackName);
        return { status: 200, body: { Stacks: [stackDescription(stack)] } };
      case 'GetTemplate':
        if (stack === undefined) return notFound(stackName);
        return { status: 200, body: { TemplateBody: JSON.stringify(stack.template) } };
      case 'DescribeStackEvents':
        if (stack === undefined) return notFound(stackName);
        return {
          status: 200,
          body: {
            StackEvents: stack.events.map((item) => ({
              StackId: stack.id,
              StackName: stack.name,
              EventId: item.id,
              LogicalResourceId: item.logicalId,
              PhysicalResourceId: item.logicalId === stack.name ? stack.id : `${item.logicalId}-physical`,
              ResourceType: item.type,
              ResourceStatus: item.status,
              ...(item.reason === undefined ? {} : { ResourceStatusReason: item.reason }),
              Timestamp: item.time,
            })),
          },
        };
      case 'ListStackResources':
        if (stack === undefined) return notFound(stackName);
        return {
          status: 200,
          body: {
            StackResourceSummaries: Object.entries(stack.template.Resources ?? {}).map(([logicalId, resource]) => ({
              LogicalResourceId: logicalId,
              PhysicalResourceId: `${logicalId}-physical`,
              ResourceType: resource.Type,
              ResourceStatus: 'CREATE_COMPLETE',
              LastUpdatedTimestamp: '2026-12-01T10:00:00.000Z',
            })),
          },
        };
      case 'CreateChangeSet': {
        const template = templateOf(params);
        let target = stack;
        if (target === undefined || target.status === 'DELETE_COMPLETE') {
          target = { name: stackName, id: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${stackName}/${sequence++}`, status: 'REVIEW_IN_PROGRESS', template: {}, parameters: {}, outputs: {}, events: [], changeSets: new Map() };
          stacks.set(stackName, target);
        }
        const before = target.template.Resources ?? {};
        const after = template.Resources ?? {};
        const changes = [
          ...Object.entries(after)
            .filter(([id, resource]) => JSON.stringify(before[id]) !== JSON.stringify(resource))
            .map(([id, resource]) => ({ action: before[id] === undefined ? ('Add' as const) : ('Modify' as const), logicalId: id, type: resource.Type })),
          ...Object.entries(before)
            .filter(([id]) => after[id] === undefined)
            .map(([id, resource]) => ({ action: 'Remove' as const, logicalId: id, type: resource.Type })),
        ];
        const changeSet: ChangeSet = {
          id: `arn:aws:cloudformation:${region}:${ACCOUNT}:changeSet/${params['ChangeSetName']}/${sequence++}`,
          name: params['ChangeSetName']!,
          type: params['ChangeSetType'] ?? 'UPDATE',
          template,
          parameters: { ...target.parameters, ...parameterMembers(params) },
          capabilities: members(params, 'Capabilities'),
          changes,
        };
        target.changeSets.set(changeSet.name, changeSet);
        return { status: 200, body: { Id: changeSet.id, StackId: target.id } };
      }
      case 'DescribeChangeSet': {
        const changeSet = stack?.changeSets.get(params['ChangeSetName']!) ?? [...(stack?.changeSets.values() ?? [])].find((candidate) => candidate.id === params['ChangeSetName']);
        if (stack === undefined || changeSet === undefined) return { status: 400, body: { error: 'ChangeSetNotFound', message: `ChangeSet ${params['ChangeSetName']} does not exist` } };
        const empty = changeSet.changes.length === 0 && JSON.stringify(changeSet.template.Outputs) === JSON.stringify(stack.template.Outputs);
        return {
          status: 200,
          body: {
            ChangeSetName: changeSet.name,
            ChangeSetId: changeSet.id,
            StackId: stack.id,
            StackName: stack.name,
            Status: empty ? 'FAILED' : 'CREATE_COMPLETE',
            ...(empty ? { StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set." } : {}),
            ExecutionStatus: empty ? 'UNAVAILABLE' : 'AVAILABLE',
            Capabilities: changeSet.capabilities,
            Changes: changeSet.changes.map((change) => ({
              Type: 'Resource',
              ResourceChange: { Action: change.action, LogicalResourceId: change.logicalId, ResourceType: change.type, Replacement: change.action === 'Modify' ? 'False' : undefined, Scope: [], Details: [] },
            })),
          },
        };
      }
      case 'ExecuteChangeSet': {
        const changeSet = stack?.changeSets.get(params['ChangeSetName']!) ?? [...(stack?.changeSets.values() ?? [])].find((candidate) => candidate.id === params['ChangeSetName']);
        if (stack === undefined || changeSet === undefined) return { status: 400, body: { error: 'ChangeSetNotFound', message: `ChangeSet ${params['ChangeSetName']} does not exist` } };
        const verb = changeSet.type === 'CREATE' ? 'CREATE' : 'UPDATE';
        event(stack, stack.name, 'AWS::CloudFormation::Stack', `${verb}_IN_PROGRESS`);
        const failure = verb === 'UPDATE' ? updateFailure(stack.template, changeSet.template) : undefined;
        if (failure !== undefined) {
          // As CloudFormation does: the resource fails, the stack rolls back to its template.
          event(stack, failure.logicalId, failure.type, 'UPDATE_IN_PROGRESS');
          event(stack, failure.logicalId, failure.type, 'UPDATE_FAILED', failure.reason);
          event(stack, stack.name, 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_IN_PROGRESS', `The following resource(s) failed to update: [${failure.logicalId}].`);
          stack.status = 'UPDATE_ROLLBACK_COMPLETE';
          event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.status);
          stack.changeSets.clear();
          return { status: 200, body: {} };
        }
        for (const change of changeSet.changes) {
          const resourceVerb = change.action === 'Add' ? 'CREATE' : change.action === 'Modify' ? 'UPDATE' : 'DELETE';
          event(stack, change.logicalId, change.type, `${resourceVerb}_IN_PROGRESS`);
          event(stack, change.logicalId, change.type, `${resourceVerb}_COMPLETE`);
        }
        stack.template = changeSet.template;
        stack.parameters = changeSet.parameters;
        setOutputs(stack);
        stack.status = `${verb}_COMPLETE`;
        event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.status);
        stack.changeSets.clear();
        return { status: 200, body: {} };
      }
      case 'DeleteChangeSet':
        stack?.changeSets.delete(params['ChangeSetName']!);
        return { status: 200, body: {} };
      case 'DeleteStack':
        if (stack === undefined) return { status: 200, body: {} };
        event(stack, stack.name, 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS');
        stack.status = options.failStackDeletion === true ? 'DELETE_FAILED' : 'DELETE_COMPLETE';
        event(stack, stack.name, 'AWS::CloudFormation::Stack', stack.status);
        return { status: 200, body: {} };
      case 'UpdateTerminationProtection':
        return { status: 200, body: { StackId: stack?.id } };
      default:
        return { status: 400, body: { error: 'InvalidAction', message: `The stand-in does not know CloudFormation ${action}` } };
    }
  };

  const sts = (action: string): { status: number; body: unknown } => {
    if (options.expiredCredentials === true) return { status: 403, body: { error: 'ExpiredToken', message: 'The security token included in the request is expired' } };
    if (action === 'GetCallerIdentity') return { status: 200, body: { Arn: `arn:aws:iam::${ACCOUNT}:user/ci`, UserId: 'AIDASTANDIN', Account: ACCOUNT } };
    if (action === 'AssumeRole') {
      return {
        status: 200,
        body: {
          Credentials: { AccessKeyId: 'ASIASTANDIN', SecretAccessKey: 'stand-in', SessionToken: 'stand-in', Expiration: new Date(Date.now() + 3_600_000).toISOString() },
          AssumedRoleUser: { Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/stand-in/session`, AssumedRoleId: 'AROASTANDIN:session' },
        },
      };
    }
    return { status: 400, body: { error: 'InvalidAction', message: `The stand-in does not know STS ${action}` } };
  };

  const queryResponse = (response: ServerResponse, action: string, result: { status: number; body: unknown }) => {
    response.setHeader('content-type', 'text/xml');
    response.statusCode = result.status;
    const body = result.body as { error?: string; message?: string };
    if (result.status >= 400) {
      response.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${body.error}</Code><Message>${xmlEscape(body.message ?? '')}</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>`);
    } else {
      response.end(`<${action}Response><${action}Result>${toXml(result.body)}</${action}Result><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></${action}Response>`);
    }
  };

  const jsonResponse = (response: ServerResponse, result: { status: number; body: unknown }) => {
    response.setHeader('content-type', 'application/x-amz-json-1.1');
    response.statusCode = result.status;
    const body = result.body as { error?: string; message?: string };
    response.end(JSON.stringify(result.status >= 400 ? { __type: body.error, message: body.message } : result.body));
  };

  const s3 = (request: IncomingMessage, response: ServerResponse, body: Buffer, url: URL) => {
    const [bucket = '', ...rest] = decodeURIComponent(url.pathname).replace(/^\//, '').split('/');
    const key = rest.join('/');
    const method = request.method ?? 'GET';
    const action = method === 'PUT' ? 'PutObject' : method === 'HEAD' ? 'HeadObject' : url.searchParams.has('location') ? 'GetBucketLocation' : url.searchParams.has('encryption') ? 'GetBucketEncryption' : url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'GetObject';
    calls.push({ service: 's3', action, params: { Bucket: bucket, ...(key === '' ? {} : { Key: key }), ...(url.searchParams.has('prefix') ? { Prefix: url.searchParams.get('prefix')! } : {}) } });
    response.setHeader('content-type', 'application/xml');
    if (action === 'PutObject') {
      const chunked = String(request.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-') || String(request.headers['content-encoding'] ?? '').includes('aws-chunked');
      objects.set(`${bucket}/${key}`, chunked ? decodeAwsChunked(body) : body);
      response.setHeader('etag', '"stand-in"');
      response.end();
    } else if (action === 'GetBucketLocation') {
      response.end(`<LocationConstraint>${region}</LocationConstraint>`);
    } else if (action === 'GetBucketEncryption') {
      response.end('<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>');
    } else if (action === 'ListObjectsV2') {
      const prefix = `${bucket}/${url.searchParams.get('prefix') ?? ''}`;
      const keys = [...objects.keys()].filter((candidate) => candidate.startsWith(prefix)).map((candidate) => candidate.slice(bucket.length + 1));
      response.end(`<ListBucketResult><Name>${bucket}</Name><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${keys.map((item) => `<Contents><Key>${xmlEscape(item)}</Key><Size>${objects.get(`${bucket}/${item}`)!.length}</Size></Contents>`).join('')}</ListBucketResult>`);
    } else {
      const object = objects.get(`${bucket}/${key}`);
      if (object === undefined) {
        response.statusCode = 404;
        response.end(action === 'HeadObject' ? undefined : '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
      } else response.end(action === 'HeadObject' ? undefined : object);
    }
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await bodyOf(request);
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const service = serviceOf(request);
      if (service === 's3') return s3(request, response, body, url);
      const target = request.headers['x-amz-target'];
      if (typeof target === 'string') {
        const action = target.split('.').pop()!;
        const params = JSON.parse(body.toString() || '{}') as Record<string, unknown>;
        calls.push({ service, action, params: Object.fromEntries(Object.entries(params).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)])) });
        if (service === 'ssm' && action === 'GetParameter') {
          const value = ssm.get(String(params['Name']));
          return jsonResponse(
            response,
            value === undefined
              ? { status: 400, body: { error: 'ParameterNotFound', message: `Parameter ${String(params['Name'])} not found` } }
              : { status: 200, body: { Parameter: { Name: params['Name'], Type: 'String', Value: value, Version: 1 } } },
          );
        }
        if (service === 'dynamodb' && action === 'DeleteTable') {
          deletedTables.push(String(params['TableName']));
          return jsonResponse(response, { status: 200, body: { TableDescription: { TableName: params['TableName'], TableStatus: 'DELETING' } } });
        }
        if (service === 'sts') {
          return jsonResponse(response, sts(action));
        }
        return jsonResponse(response, { status: 400, body: { error: 'UnknownOperationException', message: `The stand-in does not know ${service} ${action}` } });
      }
      const params = Object.fromEntries(new URLSearchParams(body.toString()));
      const action = params['Action'] ?? 'unknown';
      calls.push({ service, action, params });
      if (service === 'sts') return queryResponse(response, action, sts(action));
      if (service === 'cloudformation') {
        let result: { status: number; body: unknown };
        try {
          result = cloudFormation(action, params);
        } catch (error) {
          result = { status: 400, body: { error: 'ValidationError', message: (error as Error).message } };
        }
        return queryResponse(response, action, result);
      }
      return queryResponse(response, action, { status: 400, body: { error: 'InvalidAction', message: `The stand-in does not know ${service} ${action}` } });
    })().catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    calls,
    region,
    objectKeys: () => [...objects.keys()],
    stack: (name) => {
      const stack = stacks.get(name);
      return stack === undefined || stack.status === 'DELETE_COMPLETE' ? undefined : { status: stack.status, outputs: stack.outputs, template: stack.template };
    },
    deletedTables: () => [...deletedTables],
    putStack: (name, template) => {
      const stack: StackState = { name, id: `arn:aws:cloudformation:${region}:${ACCOUNT}:stack/${name}/${sequence++}`, status: 'UPDATE_COMPLETE', template, parameters: {}, outputs: {}, events: [], changeSets: new Map() };
      setOutputs(stack);
      stacks.set(name, stack);
    },
    env: (home) => ({
      HOME: home,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIASTANDIN',
      AWS_SECRET_ACCESS_KEY: 'stand-in',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: `${home}/.aws/config`,
      AWS_SHARED_CREDENTIALS_FILE: `${home}/.aws/credentials`,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      XDG_CONFIG_HOME: `${home}/.config`,
    }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
