import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { EesError } from '../core/errors.js';
import type { DeployBoundary, DeployInteraction, DeployRequest, ProgressEvent } from '../deploy/flow.js';
import { plainProgressLine, ProgressStore } from '../deploy/progress.js';
import { EesCommand } from './base-command.js';

export const stackFlags = {
  'stack-name': Flags.string({ description: 'Name of the CloudFormation stack.', default: 'ees' }),
  region: Flags.string({ description: 'AWS region (else AWS_REGION or AWS_DEFAULT_REGION).' }),
  profile: Flags.string({ description: 'AWS named profile for credentials (else the standard credential chain).' }),
  yes: Flags.boolean({ char: 'y', description: 'Answer yes to every question (bootstrap, security changes, removal).' }),
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

  protected async boundary(options: Omit<DeployRequest, 'interactive'> & { profile?: string; interaction: DeployInteraction }): Promise<DeployBoundary & { dispose(): void }> {
    const { cdkBoundary } = await import('../deploy/cdk-boundary.js');
    return cdkBoundary({ ...options, interactive: this.interactive() });
  }
}
