/**
 * Just enough of CloudFormation's template evaluation for the AWS stand-in: parameters with their
 * defaults, conditions, and the intrinsic functions the CDK's templates use in outputs and in the
 * bootstrap stack's SSM parameter (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::If, Fn::Select, …).
 * Physical ids are made up and stable: `<LogicalId>-physical`, or the resource's own name property.
 */
export interface Template {
  Parameters?: Record<string, { Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; Condition?: string }>;
  Outputs?: Record<string, { Value: unknown; Condition?: string }>;
}

export interface EvaluationContext {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
}

const NAME_PROPERTIES = ['BucketName', 'TableName', 'TopicName', 'QueueName', 'FunctionName', 'RoleName', 'Name'];

function evaluator(template: Template, parameters: Record<string, string>, context: EvaluationContext) {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': context.account,
    'AWS::Region': context.region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'stand-in.invalid',
    'AWS::StackName': context.stackName,
    'AWS::StackId': `arn:aws:cloudformation:${context.region}:${context.account}:stack/${context.stackName}/1`,
  };
  const parameterValue = (name: string): unknown => parameters[name] ?? template.Parameters?.[name]?.Default ?? '';
  const conditions = new Map<string, boolean>();

  const condition = (name: string): boolean => {
    if (!conditions.has(name)) conditions.set(name, Boolean(evaluate(template.Conditions?.[name])));
    return conditions.get(name)!;
  };

  const physicalId = (logicalId: string): string => {
    const properties = template.Resources?.[logicalId]?.Properties ?? {};
    for (const property of NAME_PROPERTIES) {
      const value = evaluate(properties[property]);
      if (typeof value === 'string' && value !== '') return value;
    }
    return `${logicalId}-physical`;
  };

  const substitute = (text: string, variables: Record<string, unknown>): string =>
    text.replace(/\$\{([^}!]+)\}/g, (_whole, name: string) => {
      if (name in variables) return String(evaluate(variables[name]));
      if (name in pseudo) return pseudo[name]!;
      if (name.includes('.')) {
        const [logicalId, attribute] = name.split('.');
        return `${logicalId}.${attribute}`;
      }
      if (template.Resources?.[name] !== undefined) return physicalId(name);
      return String(parameterValue(name));
    });

  function evaluate(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(evaluate);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length !== 1) return Object.fromEntries(entries.map(([key, inner]) => [key, evaluate(inner)]));
    const [name, argument] = entries[0]!;
    const args = argument as unknown[];
    switch (name) {
      case 'Ref': {
        const ref = argument as string;
        if (ref in pseudo) return pseudo[ref];
        if (template.Parameters?.[ref] !== undefined) return parameterValue(ref);
        return physicalId(ref);
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = typeof argument === 'string' ? argument.split('.') : (args as string[]);
        const properties = template.Resources?.[logicalId!]?.Properties ?? {};
        if (attribute === 'Value' && properties['Value'] !== undefined) return evaluate(properties['Value']);
        if (attribute === 'Arn') return `arn:aws:stand-in:${context.region}:${context.account}:${physicalId(logicalId!)}`;
        return `${physicalId(logicalId!)}.${attribute}`;
      }
      case 'Fn::Join': {
        // A list parameter (CommaDelimitedList) arrives as one string.
        const list = evaluate(args[1]);
        return (Array.isArray(list) ? list : String(list).split(',')).map(String).join(args[0] as string);
      }
      case 'Fn::Sub':
        return typeof argument === 'string' ? substitute(argument, {}) : substitute(args[0] as string, args[1] as Record<string, unknown>);
      case 'Fn::Select': {
        const list = evaluate(args[1]);
        return (Array.isArray(list) ? list : String(list).split(','))[Number(evaluate(args[0]))];
      }
      case 'Fn::Split':
        return String(evaluate(args[1])).split(args[0] as string);
      case 'Fn::If':
        return evaluate(condition(args[0] as string) ? args[1] : args[2]);
      case 'Fn::Equals':
        return String(evaluate(args[0])) === String(evaluate(args[1]));
      case 'Fn::Not':
        return !evaluate(args[0]);
      case 'Fn::And':
        return args.every((item) => Boolean(evaluate(item)));
      case 'Fn::Or':
        return args.some((item) => Boolean(evaluate(item)));
      case 'Condition':
        return condition(argument as string);
      case 'Fn::GetAZs':
        return [`${context.region}a`, `${context.region}b`];
      default:
        return Object.fromEntries(entries.map(([key, inner]) => [key, evaluate(inner)]));
    }
  }
  return { evaluate, condition };
}

/** The stack's outputs as CloudFormation would report them after a deploy. */
export function resolveOutputs(template: Template, parameters: Record<string, string>, context: EvaluationContext): Record<string, string> {
  const { evaluate, condition } = evaluator(template, parameters, context);
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    if (output.Condition !== undefined && !condition(output.Condition)) continue;
    outputs[key] = String(evaluate(output.Value));
  }
  return outputs;
}

/** The resources whose conditions hold, with their properties evaluated. */
export function resourcesOf(template: Template, parameters: Record<string, string>, context: EvaluationContext): Record<string, { type: string; properties: Record<string, unknown> }> {
  const { evaluate, condition } = evaluator(template, parameters, context);
  const result: Record<string, { type: string; properties: Record<string, unknown> }> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Condition !== undefined && !condition(resource.Condition)) continue;
    result[logicalId] = { type: resource.Type, properties: evaluate(resource.Properties ?? {}) as Record<string, unknown> };
  }
  return result;
}

/**
 * Why CloudFormation would fail an update from one template to the other, for the rules the
 * stand-in enforces: a table may gain or lose at most one global secondary index per update.
 */
export function updateFailure(before: Template, after: Template): { logicalId: string; type: string; reason: string } | undefined {
  const globalIndexes = (properties: Record<string, unknown> | undefined) =>
    ((properties?.['GlobalSecondaryIndexes'] ?? []) as { IndexName: string }[]).map((index) => index.IndexName);
  for (const [logicalId, resource] of Object.entries(after.Resources ?? {})) {
    const previous = before.Resources?.[logicalId];
    if (resource.Type !== 'AWS::DynamoDB::Table' || previous?.Type !== resource.Type) continue;
    const old = globalIndexes(previous.Properties);
    const current = globalIndexes(resource.Properties);
    const changed = [...current.filter((name) => !old.includes(name)), ...old.filter((name) => !current.includes(name))];
    if (changed.length > 1) return { logicalId, type: resource.Type, reason: 'Cannot perform more than one GSI creation or deletion in a single update' };
  }
  return undefined;
}
