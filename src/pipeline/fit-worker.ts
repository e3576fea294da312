// A fit-pool worker (fit-pool.ts): fits one request at a time, answering each with its result or
// the error's one-line message. It loads the same modules as the thread that started it.

import { parentPort } from 'node:worker_threads';
import { failureMessage } from '../forecast/wasm.js';
import { type FitRequest, fitJob } from './fit-job.js';

parentPort?.on('message', (msg: { id: number; request: FitRequest }) => {
  try {
    parentPort!.postMessage({ id: msg.id, ok: true, result: fitJob(msg.request) });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, error: failureMessage(err) });
  }
});
