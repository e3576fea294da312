// A directory of text files (policies, forecast specs) as one ConfigMap and the volume items that
// put each file back at its relative path: ConfigMap keys cannot hold `/`, so `pools/web.yaml` is
// stored under `pools__web.yaml` and mounted at `pools/web.yaml`. Pure (no Pulumi calls).

import { createHash } from 'node:crypto';
import { RunnerArgsError } from './errors.js';

/** What the API server accepts in one ConfigMap (keys and values together). */
export const CONFIG_MAP_MAX_BYTES = 1024 * 1024;
const KEY = /^[-._a-zA-Z0-9]+$/;

export interface MountedFiles {
  /** The ConfigMap's data. */
  data: Record<string, string>;
  /** The configMap volume's items: each key back at its path. */
  items: { key: string; path: string }[];
}

/** `files` (relative path → text) as ConfigMap data and volume items; `arg` names them in errors. */
export function mountedFiles(arg: string, files: Record<string, string>): MountedFiles {
  const data: Record<string, string> = {};
  const items: { key: string; path: string }[] = [];
  let bytes = 0;
  for (const path of Object.keys(files).sort()) {
    const key = path.replaceAll('/', '__');
    if (!KEY.test(key) || key.length > 253) {
      throw new RunnerArgsError(`${arg}.${path}`, 'a file name may hold only letters, digits, - _ . and /');
    }
    if (key in data) {
      throw new RunnerArgsError(`${arg}.${path}`, `clashes with another file stored as ConfigMap key ${key}`);
    }
    data[key] = files[path]!;
    items.push({ key, path });
    bytes += Buffer.byteLength(key) + Buffer.byteLength(files[path]!);
  }
  if (bytes > CONFIG_MAP_MAX_BYTES) {
    throw new RunnerArgsError(
      arg,
      `${(bytes / CONFIG_MAP_MAX_BYTES).toFixed(2)} MiB of files; a ConfigMap holds at most 1 MiB: leave ${arg} unset to use the image's own, or trim them`,
    );
  }
  return { data, items };
}

/** A digest of ConfigMap contents: a pod template annotation, so a change restarts the runner. */
export function contentHash(...maps: Record<string, string>[]): string {
  const h = createHash('sha256');
  for (const map of maps) {
    for (const key of Object.keys(map).sort()) h.update(key).update('\0').update(map[key]!).update('\0');
    h.update('\u0001');
  }
  return h.digest('hex').slice(0, 16);
}
