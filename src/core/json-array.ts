/**
 * Splits compact JSON array text (as written by JSON.stringify) into the text of its elements,
 * without parsing them: reads return stored events as they are.
 */
export function splitJsonArray(text: string): string[] {
  const elements: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 1;
  for (let index = 1; index < text.length - 1; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c /* \ */) index++;
      else if (code === 0x22 /* " */) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      depth++;
    } else if (code === 0x5d /* ] */ || code === 0x7d /* } */) {
      depth--;
    } else if (code === 0x2c /* , */ && depth === 0) {
      elements.push(text.slice(start, index));
      start = index + 1;
    }
  }
  if (text.length > 2) elements.push(text.slice(start, text.length - 1));
  return elements;
}
