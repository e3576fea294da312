// Worker-thread entry of the parallel propagation: runs its range of chunks over the shared
// compiled graph and hands back the totals (their buffers transferred, not copied).

import { parentPort, workerData } from 'node:worker_threads';
import type { CompiledGraph } from './propagate-compile.js';
import { runChunks } from './propagate.js';

export interface WorkerJob {
  graph: CompiledGraph;
  trials: number;
  seed: number;
  first: number;
  end: number;
}

const job = workerData as WorkerJob;
const totals = runChunks(job.graph, job.trials, job.seed, job.first, job.end);
parentPort!.postMessage(totals, [
  totals.failed.buffer,
  totals.cascade.buffer,
  totals.overload.buffer,
  totals.unserved.buffer,
]);
