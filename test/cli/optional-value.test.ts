import { describe, expect, it } from 'vitest';
import { withOptionalValue } from '../../src/cli/optional-value.js';

describe('a flag with an optional value', () => {
  const bare = (argv: string[]) => withOptionalValue(argv, '--from-checkpoint', 'saved');

  it('gets the bare value when nothing, another flag or -- follows it', () => {
    expect(bare(['--from-checkpoint'])).toEqual(['--from-checkpoint', 'saved']);
    expect(bare(['--from-checkpoint', '--json'])).toEqual(['--from-checkpoint', 'saved', '--json']);
    expect(bare(['--from-checkpoint', '-f'])).toEqual(['--from-checkpoint', 'saved', '-f']);
    expect(bare(['--from-checkpoint', '--'])).toEqual(['--from-checkpoint', 'saved', '--']);
  });

  it('keeps a value, a negative number (refused later as a value), and everything after --', () => {
    expect(bare(['--from-checkpoint', '7', '--json'])).toEqual(['--from-checkpoint', '7', '--json']);
    expect(bare(['--from-checkpoint', '-1'])).toEqual(['--from-checkpoint', '-1']);
    expect(bare(['--', '--from-checkpoint'])).toEqual(['--', '--from-checkpoint']);
    expect(bare(['--follow'])).toEqual(['--follow']);
  });
});
