import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../src/client/edit-distance.js';
import { reflow } from '../../src/cli/help.js';

describe('help text and suggestions', () => {
  it('joins the hard-wrapped lines of a paragraph and keeps paragraphs, lists and indented blocks', () => {
    const text = 'First line of a paragraph\nwraps here.\n\nSecond paragraph\nalso wraps.\n- a list item\n- another\n  indented code';
    expect(reflow(text)).toBe('First line of a paragraph wraps here.\n\nSecond paragraph also wraps.\n- a list item\n- another\n  indented code');
  });

  it('counts a swap of two letters as one edit, and suggests only what is close', () => {
    expect(editDistance('evnets', 'events')).toBe(1);
    expect(editDistance('tial', 'tail')).toBe(1);
    expect(editDistance('event', 'events')).toBe(1);
    expect(editDistance('extents', 'events')).toBe(2);
    expect(closestMatch('tial', ['append', 'read', 'tail', 'status'])).toBe('tail');
    expect(closestMatch('sttaus', ['append', 'read', 'tail', 'status'])).toBe('status');
    expect(closestMatch('zzzzzzzz', ['append', 'read'])).toBeUndefined();
  });
});
