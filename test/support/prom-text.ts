// Prometheus text exposition (as /metrics and metrics.prom carry it) read back for assertions.

/** Sample value by `name{labels}` as printed; comments and blank lines skipped. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
