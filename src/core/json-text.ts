/**
 * JSON text of a value parsed from stored data, at any depth. `JSON.parse` copes with any nesting
 * but `JSON.stringify` recurses and overflows the stack a few thousand levels down, and data
 * stored before the nesting limit (or by another writer) may be deeper: readers print it with this.
 */
export function toJsonText(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return stringifyIteratively(value);
  }
}

type Step = { readonly text: string } | { readonly value: unknown };

/** JSON.stringify's output for JSON data (and `toJSON`), with an explicit stack instead of recursion. */
function stringifyIteratively(root: unknown): string {
  const parts: string[] = [];
  const steps: Step[] = [{ value: root }];
  while (steps.length > 0) {
    const step = steps.pop()!;
    if ('text' in step) {
      parts.push(step.text);
      continue;
    }
    let value = step.value;
    if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') value = (value as { toJSON: () => unknown }).toJSON();
    if (value === null || typeof value !== 'object') {
      parts.push(JSON.stringify(value) ?? 'null');
      continue;
    }
    // Pushed in reverse, so they come off the stack in order.
    if (Array.isArray(value)) {
      steps.push({ text: ']' });
      for (let index = value.length - 1; index >= 0; index--) {
        const item: unknown = value[index];
        steps.push({ value: item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item });
        if (index > 0) steps.push({ text: ',' });
      }
      steps.push({ text: '[' });
      continue;
    }
    const entries: [string, unknown][] = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined && typeof item !== 'function' && typeof item !== 'symbol');
    steps.push({ text: '}' });
    for (let index = entries.length - 1; index >= 0; index--) {
      const [key, item] = entries[index]!;
      steps.push({ value: item });
      steps.push({ text: `${JSON.stringify(key)}:` });
      if (index > 0) steps.push({ text: ',' });
    }
    steps.push({ text: '{' });
  }
  return parts.join('');
}
