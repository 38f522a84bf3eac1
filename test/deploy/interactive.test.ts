import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cdkBoundary } from '../../src/deploy/cdk-boundary.js';
import { runDeploy, runDestroy, type DeployInteraction } from '../../src/deploy/flow.js';
import { startAwsStandIn, type AwsStandIn, type StandInOptions } from '../support/aws-stand-in.js';

/**
 * The questions a person at a terminal is asked, answered by a script: the real flow, the real
 * boundary and toolkit, against the loopback AWS stand-in. Every "no" must leave AWS as it was.
 */
describe('deploy and destroy at a terminal', { timeout: 240_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'ees-home-'));
  const savedEnv = { ...process.env };
  const standIns: AwsStandIn[] = [];
  afterEach(() => {
    process.env = { ...savedEnv };
  });
  afterAll(async () => {
    for (const standIn of standIns) await standIn.close();
    rmSync(home, { recursive: true, force: true });
  });

  async function terminal(options: StandInOptions, answers: boolean[]) {
    const standIn = await startAwsStandIn(options);
    standIns.push(standIn);
    Object.assign(process.env, standIn.env(home));
    const questions: string[] = [];
    const interaction: DeployInteraction = {
      progress: () => {},
      confirm: async (question) => {
        questions.push(question);
        const answer = answers.shift();
        if (answer === undefined) throw new Error(`unexpected question: ${question}`);
        return answer;
      },
    };
    const request = { stackName: 'ees', region: standIn.region, public: false, yes: false, interactive: true };
    const boundary = cdkBoundary({ ...request, interaction });
    const executed = () => standIn.calls.filter((call) => call.action === 'ExecuteChangeSet').map((call) => call.params['StackName']);
    return { standIn, boundary, interaction, request, questions, answers, executed };
  }

  it('offers the bootstrap, then shows the changes and deploys nothing when they are declined', async () => {
    const { standIn, boundary, interaction, request, questions, executed } = await terminal({}, [true, false]);
    try {
      await expect(runDeploy(boundary, interaction, request)).rejects.toMatchObject({ code: 'INVALID_USAGE', exitCode: 2, message: 'Deploy of ees cancelled: the stack was not changed.' });
    } finally {
      boundary.dispose();
    }
    expect(questions[0]).toBe('aws://123456789012/eu-west-1 is not bootstrapped for the CDK. Bootstrap it now (creates the CDKToolkit stack)?');
    expect(questions[1]).toMatch(/IAM Statement Changes[\s\S]*Deploy these changes to ees\?$/);
    expect(executed()).toEqual(['CDKToolkit']);
    expect(standIn.stack('ees')?.status ?? 'none').not.toMatch(/COMPLETE$/);
  });

  it('deploys the changes the person approves', async () => {
    const { standIn, boundary, interaction, request, questions } = await terminal({ bootstrapVersion: 30 }, [true]);
    try {
      const outcome = await runDeploy(boundary, interaction, request);
      expect(outcome.profile.endpoint).toMatch(/^https:\/\/ees-api\./);
    } finally {
      boundary.dispose();
    }
    expect(questions).toHaveLength(1);
    expect(standIn.stack('ees')!.status).toBe('CREATE_COMPLETE');
  });

  it('removes nothing and deletes no table when the person says no to the one destroy question', async () => {
    for (const deleteData of [false, true]) {
      const { standIn, boundary, interaction, request, questions, answers } = await terminal({ bootstrapVersion: 30 }, [true]);
      try {
        await runDeploy(boundary, interaction, request);
        answers.push(false);
        await expect(runDestroy(boundary, interaction, { ...request, deleteData })).rejects.toMatchObject({ code: 'INVALID_USAGE', exitCode: 2 });
      } finally {
        boundary.dispose();
      }
      expect(questions).toHaveLength(2);
      expect(standIn.calls.filter((call) => call.action === 'DeleteStack' || call.action === 'DeleteTable')).toEqual([]);
      expect(standIn.stack('ees')!.status).toBe('CREATE_COMPLETE');
    }
  });

  it('deletes the tables after the stack, when the person agrees to both in one answer', async () => {
    const { standIn, boundary, interaction, request, questions } = await terminal({ bootstrapVersion: 30 }, [true, true]);
    try {
      await runDeploy(boundary, interaction, request);
      const result = await runDestroy(boundary, interaction, { ...request, deleteData: true });
      expect(result.deletedTables).toHaveLength(2);
    } finally {
      boundary.dispose();
    }
    expect(questions[1]).toMatch(/^Remove the stack ees from eu-west-1 and then DELETE the tables .* with every event in them\? This cannot be undone\.$/);
    const order = standIn.calls.map((call) => call.action);
    expect(order.filter((action) => action === 'DeleteTable')).toHaveLength(2);
    expect(order.indexOf('DeleteTable')).toBeGreaterThan(order.lastIndexOf('DeleteStack'));
  });
});
