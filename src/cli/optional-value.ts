/**
 * oclif 4 has no flags with an optional value: `--from-checkpoint` followed by nothing, by `--` or
 * by another flag would be refused with "expects a value". This gives such a bare flag the value
 * `bare` before oclif parses the command line, so users type it as documented. A negative number
 * after the flag stays its value, so that it is refused as one.
 */
export function withOptionalValue(argv: readonly string[], flag: string, bare: string): string[] {
  const result: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    result.push(arg);
    if (arg === '--') {
      result.push(...argv.slice(index + 1));
      break;
    }
    if (arg !== flag) continue;
    const next = argv[index + 1];
    if (next === undefined || next === '--' || (next.startsWith('-') && !/^-\d/.test(next))) result.push(bare);
  }
  return result;
}
