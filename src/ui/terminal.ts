/**
 * When the terminal narrows, the frames already drawn re-wrap into more rows than Ink erases, and
 * their remains stay on screen: clear the screen first (this listener runs before Ink's own).
 * Returns the function that removes it.
 */
export function clearScreenWhenNarrowed(stdout: NodeJS.WriteStream): () => void {
  let columns = stdout.columns ?? 80;
  const onResize = (): void => {
    const now = stdout.columns ?? 80;
    if (now < columns) stdout.write('\u001b[2J\u001b[3J\u001b[H');
    columns = now;
  };
  stdout.prependListener('resize', onResize);
  return () => {
    stdout.off('resize', onResize);
  };
}
