/**
 * Lines to stdout a thousand at a time: on Linux a write to a pipe is synchronous, and one write
 * per line is most of what a million-line import listing or report would cost. Call flush before
 * writing anything else, and at the end.
 */
export function lineWriter(out: NodeJS.WritableStream = process.stdout, chunk = 1000) {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    out.write(pending.join('\n') + '\n');
    pending = [];
  };
  return {
    line(text: string): void {
      pending.push(text);
      if (pending.length >= chunk) flush();
    },
    flush,
  };
}
