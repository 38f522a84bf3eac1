import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { EesError } from '../core/errors.js';
import type { DeployBoundary, DeployInteraction, DeployRequest, ProgressEvent } from '../deploy/flow.js';
import { plainProgressLine, ProgressStore } from '../deploy/progress.js';
import { EesCommand } from './base-command.js';
import type { AlarmTargets } from '../../stack/event-store.js';

/** CloudFormation's rule for stack names (its topics are named after it too). */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

export const stackNameFlag = Flags.string({
  description: 'Name of the CloudFormation stack (letters, digits and hyphens, starting with a letter).',
  default: 'ees',
  parse: async (input) => {
    if (!STACK_NAME.test(input)) throw new EesError('INVALID_USAGE', `"${input}" is not a stack name: a letter, then letters, digits and hyphens (at most 128).`);
    return input;
  },
});

export const alarmFlags = {
  'alarm-email': Flags.string({
    description: 'Email address the alarms notify (AWS sends it a confirmation link first). Pass it on every deploy to keep it.',
    parse: async (input) => {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(input)) throw new EesError('INVALID_USAGE', `"${input}" is not an email address.`);
      return input;
    },
  }),
  'alarm-topic': Flags.string({
    description: 'ARN of an existing SNS topic the alarms notify (a pager, chat or on-call integration).',
    parse: async (input) => {
      if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(input)) throw new EesError('INVALID_USAGE', `"${input}" is not the ARN of a standard SNS topic.`);
      return input;
    },
  }),
};

/** The stack's alarm configuration from --alarm-email and --alarm-topic. */
export function alarmsOf(flags: { 'alarm-email'?: string | undefined; 'alarm-topic'?: string | undefined }): AlarmTargets | undefined {
  const email = flags['alarm-email'];
  const topicArn = flags['alarm-topic'];
  if (email === undefined && topicArn === undefined) return undefined;
  return { email, topicArn };
}

export const stackFlags = {
  'stack-name': stackNameFlag,
  region: Flags.string({ description: 'AWS region (else AWS_REGION or AWS_DEFAULT_REGION).' }),
  'aws-profile': Flags.string({ description: 'AWS named profile for credentials (else AWS_PROFILE, else the standard credential chain).' }),
  // On the client commands --profile names an ees target; here it would be ambiguous, so it is refused.
  profile: Flags.string({
    hidden: true,
    parse: async () => {
      throw new EesError('INVALID_USAGE', '--profile names an ees target on the client commands; for an AWS named profile pass --aws-profile (or set AWS_PROFILE).');
    },
  }),
  yes: Flags.boolean({ char: 'y', description: 'Answer yes to every question (bootstrap, security-sensitive changes, removal).' }),
};

/**
 * Base of deploy, diff and destroy: region, credentials profile, confirmation, and progress as
 * an Ink view at a terminal or plain lines on stderr in CI.
 */
export abstract class DeployCommand extends EesCommand {
  static override enableJsonFlag = true;

  protected region(flag: string | undefined): string {
    const region = flag ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
    if (region === undefined || region === '') throw new EesError('INVALID_USAGE', 'Which AWS region? Pass --region or set AWS_REGION.');
    return region;
  }

  protected interactive(): boolean {
    return process.stdin.isTTY === true && process.stdout.isTTY === true;
  }

  /** Progress and questions for this run; call `finish()` when done. */
  protected async interaction(title: string, json: boolean): Promise<DeployInteraction & { finish(): void }> {
    const startedAt = Date.now();
    const confirm = async (question: string): Promise<boolean> => {
      const readline = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await readline.question(`${question} [y/N] `)).trim());
      } finally {
        readline.close();
      }
    };
    if (!this.interactive() || json) {
      return {
        progress: (event: ProgressEvent) => process.stderr.write(`${plainProgressLine(event, Date.now() - startedAt)}\n`),
        confirm,
        finish: () => {},
      };
    }
    const [{ render }, { createElement }, { DeployView }] = await Promise.all([import('ink'), import('react'), import('../ui/DeployView.js')]);
    const store = new ProgressStore(title);
    let app: ReturnType<typeof render> | undefined = render(createElement(DeployView, { store }), { stdout: process.stderr, patchConsole: false });
    return {
      progress: (event) => store.push(event),
      confirm: async (question) => {
        // The question needs the terminal to itself: pause the view around it.
        app?.unmount();
        app = undefined;
        const answer = await confirm(question);
        app = render(createElement(DeployView, { store }), { stdout: process.stderr, patchConsole: false });
        return answer;
      },
      finish: () => app?.unmount(),
    };
  }

  protected async boundary(
    options: Omit<DeployRequest, 'interactive'> & { awsProfile?: string | undefined; alarms?: AlarmTargets | undefined; interaction: DeployInteraction },
  ): Promise<DeployBoundary & { dispose(): void }> {
    const { cdkBoundary } = await import('../deploy/cdk-boundary.js');
    return cdkBoundary({ ...options, interactive: this.interactive() });
  }
}
