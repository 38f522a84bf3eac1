import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface FaultRule {
  /** Decides, for each SDK call, whether it fails; `nth` counts the calls this rule has seen. */
  readonly when: (command: string, input: Record<string, unknown>, nth: number) => boolean;
  readonly error?: () => Error;
}

/**
 * Injects faults at the SDK boundary: a real DynamoDB client whose chosen calls fail before they
 * are sent, as a crash, a throttle or a network fault would make them.
 */
export function injectFaults(client: DynamoDBClient, rule: FaultRule): { readonly failures: number } {
  const state = { seen: 0, failures: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (rule.when(context.commandName ?? '', input, ++state.seen)) {
        state.failures++;
        throw rule.error?.() ?? Object.assign(new Error('Injected fault'), { name: 'InjectedFault' });
      }
      return next(args);
    },
    { step: 'initialize', name: `fault-injection-${Math.random()}` },
  );
  return state;
}
