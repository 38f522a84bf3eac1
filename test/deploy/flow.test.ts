import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterAll, describe, expect, it } from 'vitest';
import { saveProfile } from '../../src/client/profiles.js';
import { readProfiles } from '../../src/client/target.js';
import { runDeploy, runDestroy, type ChangeReview, type DeployBoundary, type DeployInteraction, type ProgressEvent } from '../../src/deploy/flow.js';
import { plainProgressLine, ProgressStore } from '../../src/deploy/progress.js';
import { DeployView } from '../../src/ui/DeployView.js';

/** The toolkit and AWS at their public boundary, recording what was asked of them. */
function fakeBoundary(state: { bootstrapped?: boolean; bootstrapVersion?: number; credentials?: boolean; outputs?: Record<string, string>; changes?: ChangeReview; stackRemains?: boolean } = {}) {
  const calls: string[] = [];
  let destroyed = false;
  const outputs = state.outputs ?? {
    ApiEndpoint: 'https://abc123.execute-api.eu-west-1.example/prod/',
    EventsTableName: 'ees-EventsTable-1',
    MetaTableName: 'ees-MetaTable-1',
  };
  const boundary: DeployBoundary = {
    identity: async () => {
      calls.push('identity');
      if (state.credentials === false) throw new Error('Could not load credentials from any providers');
      return { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/ci' };
    },
    bootstrapState: async () => (calls.push('bootstrapState'), { deployed: state.bootstrapped === false ? undefined : (state.bootstrapVersion ?? 30), required: 6 }),
    bootstrap: async ({ account, region }) => void calls.push(`bootstrap ${account}/${region}`),
    deploy: async (approve) => {
      calls.push('review');
      // As the toolkit does: a declined change set is an error, and nothing is deployed.
      if (!(await approve(state.changes ?? { diff: 'IAM Statement Changes …', securitySensitive: true }))) throw new Error('DeployAborted: Deployment cancelled');
      calls.push('deploy');
      return outputs;
    },
    diff: async () => (calls.push('diff'), ''),
    destroy: async () => {
      calls.push('destroy');
      destroyed = state.stackRemains !== true;
    },
    outputs: async () => (calls.push('outputs'), destroyed ? undefined : outputs),
    deleteTables: async (names) => void calls.push(`deleteTables ${names.join(',')}`),
  };
  return { boundary, calls };
}

function recordingInteraction(answers: boolean[] = []) {
  const events: ProgressEvent[] = [];
  const questions: string[] = [];
  const interaction: DeployInteraction = {
    progress: (event) => events.push(event),
    confirm: async (question) => {
      questions.push(question);
      return answers.shift() ?? false;
    },
  };
  return { interaction, events, questions };
}

const request = { stackName: 'ees', region: 'eu-west-1', public: false, yes: false, interactive: true };

describe('ees deploy flow', () => {
  it('deploys to a bootstrapped environment and returns an IAM profile for the endpoint', async () => {
    const { boundary, calls } = fakeBoundary();
    const { interaction, events, questions } = recordingInteraction([true]);
    const outcome = await runDeploy(boundary, interaction, request);
    expect(calls).toEqual(['identity', 'bootstrapState', 'review', 'deploy']);
    expect(questions).toEqual(['IAM Statement Changes …\n\nDeploy these changes to ees?']);
    expect(outcome.profile).toEqual({ endpoint: 'https://abc123.execute-api.eu-west-1.example/prod', region: 'eu-west-1', stack: 'ees', auth: 'iam' });
    expect(events.map((event) => event.message)).toContain('Deploying ees to aws://123456789012/eu-west-1');
  });

  it('stops before any work when there are no credentials, with exit code 6', async () => {
    const { boundary, calls } = fakeBoundary({ credentials: false });
    await expect(runDeploy(boundary, recordingInteraction().interaction, request)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      exitCode: 6,
      message: expect.stringMatching(/^No usable AWS credentials for eu-west-1 \(Could not load credentials from any providers\)/),
    });
    expect(calls).toEqual(['identity']);
  });

  it('offers to bootstrap, and bootstraps when the person agrees', async () => {
    const { boundary, calls } = fakeBoundary({ bootstrapped: false });
    const { interaction, questions } = recordingInteraction([true, true]);
    const outcome = await runDeploy(boundary, interaction, { ...request, yes: false, interactive: true });
    expect(questions[0]).toBe('aws://123456789012/eu-west-1 is not bootstrapped for the CDK. Bootstrap it now (creates the CDKToolkit stack)?');
    expect(calls).toEqual(['identity', 'bootstrapState', 'bootstrap 123456789012/eu-west-1', 'review', 'deploy']);
    expect(outcome.bootstrapped).toBe(true);
  });

  it('changes nothing when the person declines the bootstrap', async () => {
    const { boundary, calls } = fakeBoundary({ bootstrapped: false });
    await expect(runDeploy(boundary, recordingInteraction([false]).interaction, request)).rejects.toMatchObject({ code: 'INVALID_USAGE', message: expect.stringContaining('Nothing was changed') });
    expect(calls).not.toContain('deploy');
  });

  it('bootstraps without asking with --yes, and refuses to guess in CI without it', async () => {
    const yes = fakeBoundary({ bootstrapped: false });
    const asked = recordingInteraction();
    await runDeploy(yes.boundary, asked.interaction, { ...request, yes: true, interactive: false });
    expect(asked.questions).toEqual([]);
    expect(yes.calls).toContain('bootstrap 123456789012/eu-west-1');

    const ci = fakeBoundary({ bootstrapped: false });
    await expect(runDeploy(ci.boundary, recordingInteraction().interaction, { ...request, interactive: false })).rejects.toMatchObject({
      code: 'INVALID_USAGE',
      message: expect.stringContaining('Pass --yes'),
    });
    expect(ci.calls).not.toContain('deploy');
  });

  it('warns loudly about --public and saves a profile without auth', async () => {
    const { boundary } = fakeBoundary();
    const { interaction, events } = recordingInteraction([true]);
    const outcome = await runDeploy(boundary, interaction, { ...request, public: true });
    expect(events.filter((event) => event.kind === 'warning').map((event) => event.message)).toEqual([
      'The API will be PUBLIC: anyone with its URL can read and append. Omit --public for IAM authorization.',
    ]);
    expect(outcome.profile.auth).toBe('none');
  });

  it('offers to upgrade a bootstrap stack too old for the template, the same way', async () => {
    const outdated = fakeBoundary({ bootstrapVersion: 5 });
    const { interaction, questions } = recordingInteraction([false]);
    await expect(runDeploy(outdated.boundary, interaction, request)).rejects.toMatchObject({ code: 'INVALID_USAGE', exitCode: 2 });
    expect(questions).toEqual([
      'aws://123456789012/eu-west-1 is bootstrapped with version 5 of the CDK bootstrap stack; this stack needs version 6 or later. Upgrade the CDKToolkit stack now?',
    ]);
    expect(outdated.calls).toEqual(['identity', 'bootstrapState']);
    const upgraded = fakeBoundary({ bootstrapVersion: 5 });
    await runDeploy(upgraded.boundary, recordingInteraction().interaction, { ...request, yes: true, interactive: false });
    expect(upgraded.calls).toEqual(['identity', 'bootstrapState', 'bootstrap 123456789012/eu-west-1', 'review', 'deploy']);
  });

  it('deploys only changes someone approved: the person, --yes, or (in CI) changes that touch no permissions', async () => {
    const declined = fakeBoundary();
    await expect(runDeploy(declined.boundary, recordingInteraction([false]).interaction, request)).rejects.toMatchObject({
      code: 'INVALID_USAGE',
      exitCode: 2,
      message: 'Deploy of ees cancelled: the stack was not changed.',
    });
    expect(declined.calls).not.toContain('deploy');

    const ci = { ...request, interactive: false };
    const sensitive = fakeBoundary();
    await expect(runDeploy(sensitive.boundary, recordingInteraction().interaction, ci)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('needs --yes') });
    expect(sensitive.calls).not.toContain('deploy');
    const plain = fakeBoundary({ changes: { diff: 'Resources [~] AWS::Lambda::Function', securitySensitive: false } });
    await runDeploy(plain.boundary, recordingInteraction().interaction, ci);
    expect(plain.calls).toContain('deploy');
    const yes = fakeBoundary();
    await runDeploy(yes.boundary, recordingInteraction().interaction, { ...ci, yes: true });
    expect(yes.calls).toContain('deploy');
  });
});

describe('ees destroy flow', () => {
  it('keeps the tables unless --delete-data is confirmed, in one question', async () => {
    const kept = fakeBoundary();
    const asked = recordingInteraction([true]);
    expect(await runDestroy(kept.boundary, asked.interaction, { ...request, deleteData: false })).toEqual({
      deletedTables: [],
      keptTables: ['ees-EventsTable-1', 'ees-MetaTable-1'],
    });
    expect(asked.questions).toEqual(['Remove the stack ees from eu-west-1? The tables ees-EventsTable-1 and ees-MetaTable-1 and the dead-letter queues are kept.']);
    expect(kept.calls).toEqual(['identity', 'outputs', 'destroy', 'outputs']);

    const deleted = fakeBoundary();
    const confirming = recordingInteraction([true]);
    await runDestroy(deleted.boundary, confirming.interaction, { ...request, deleteData: true });
    expect(confirming.questions).toHaveLength(1);
    expect(confirming.questions[0]).toContain('and then DELETE the tables ees-EventsTable-1 and ees-MetaTable-1');
    expect(deleted.calls).toEqual(['identity', 'outputs', 'destroy', 'outputs', 'deleteTables ees-EventsTable-1,ees-MetaTable-1']);
  });

  it('changes nothing at any "no", and without --yes in CI', async () => {
    for (const deleteData of [false, true]) {
      const declined = fakeBoundary();
      await expect(runDestroy(declined.boundary, recordingInteraction([false]).interaction, { ...request, deleteData })).rejects.toMatchObject({ code: 'INVALID_USAGE', exitCode: 2 });
      expect(declined.calls).toEqual(['identity', 'outputs']);
      const ci = fakeBoundary();
      await expect(runDestroy(ci.boundary, recordingInteraction().interaction, { ...request, interactive: false, deleteData })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('Pass --yes') });
      expect(ci.calls).toEqual(['identity', 'outputs']);
    }
  });

  it('never deletes the tables while the stack is still there', async () => {
    const remains = fakeBoundary({ stackRemains: true });
    await expect(runDestroy(remains.boundary, recordingInteraction([true]).interaction, { ...request, deleteData: true })).rejects.toMatchObject({
      message: 'The stack ees is still there after its removal; the tables were not touched.',
    });
    expect(remains.calls.some((call) => call.startsWith('deleteTables'))).toBe(false);
  });
});

describe('deploy progress', () => {
  it('moves finished resources to the static list and keeps the rest live', () => {
    let now = 1_000;
    const store = new ProgressStore('Deploying ees to eu-west-1', () => now);
    store.push({ kind: 'resource', message: '', resource: { logicalId: 'EventsTable', status: 'CREATE_IN_PROGRESS', type: 'AWS::DynamoDB::Table' } });
    store.push({ kind: 'resource', message: '', resource: { logicalId: 'ApiFunction', status: 'CREATE_IN_PROGRESS' } });
    store.push({ kind: 'resource', message: '', resource: { logicalId: 'EventsTable', status: 'CREATE_COMPLETE', type: 'AWS::DynamoDB::Table' } });
    now = 66_000;
    const { lastFrame, unmount } = render(createElement(DeployView, { store, now: () => now }));
    const frame = lastFrame() ?? '';
    unmount();
    expect(frame).toContain('✓ EventsTable CREATE_COMPLETE (AWS::DynamoDB::Table)');
    expect(frame).toMatch(/Deploying ees to eu-west-1\s+1 done, 1 in progress · 1m05s/);
    expect(frame).toContain('… ApiFunction');
  });

  it('prints plain, timestamped lines for CI logs', () => {
    expect(plainProgressLine({ kind: 'status', message: 'Deploying ees\nmore' }, 75_000)).toBe('[01:15] Deploying ees');
    expect(plainProgressLine({ kind: 'warning', message: 'public API' }, 0)).toBe('[00:00] WARNING: public API');
  });
});

describe('saved profiles', () => {
  const configDir = mkdtempSync(join(tmpdir(), 'ees-profiles-'));
  afterAll(() => rmSync(configDir, { recursive: true, force: true }));

  it('adds the deployed target next to existing ones, readable by the client commands, private to the user', async () => {
    await saveProfile(configDir, 'staging', { endpoint: 'https://s.example/prod', auth: 'iam', region: 'eu-west-1', stack: 'staging' });
    const path = await saveProfile(configDir, 'ees', { endpoint: 'https://p.example/prod', auth: 'iam', region: 'us-east-1', stack: 'ees' });
    expect(Object.keys(await readProfiles(configDir)).sort()).toEqual(['ees', 'staging']);
    expect(JSON.parse(readFileSync(path, 'utf8')).profiles.ees.endpoint).toBe('https://p.example/prod');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
