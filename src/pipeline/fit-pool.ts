// Forecast fits on worker threads, so a replay (or a run over many pools) uses every core: each
// worker fits one request at a time (fit-job.ts), requests wait in order for the first free one.
// With no workers, or when this module runs from its TypeScript source (no compiled worker beside
// it), fits run on the calling thread, one at a time, with the same results.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Fitter, type FitRequest, type FitResult, IN_PROCESS } from './fit-job.js';

interface Pending {
  id: number;
  request: FitRequest;
  resolve: (r: FitResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job?: Pending;
}

/** The compiled worker beside this module, or undefined when there is none (running from source). */
function workerEntry(): URL | undefined {
  const url = new URL('./fit-worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** Workers to use by default: one a core. */
export function defaultFitWorkers(): number {
  return availableParallelism();
}

export class FitPool implements Fitter {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private next = 0;
  private closed = false;

  private readonly entry: URL | undefined;

  /** `workers` threads (0: fit on this thread), started at the first fit. */
  constructor(private readonly size: number) {
    this.entry = size > 0 ? workerEntry() : undefined;
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const slot: Slot = { worker: new Worker(this.entry!) };
      slot.worker.on('message', (m: { id: number; ok: boolean; result?: FitResult; error?: string }) => {
        const job = slot.job;
        slot.job = undefined;
        if (job && job.id === m.id) {
          if (m.ok) job.resolve(m.result!);
          else job.reject(new Error(m.error));
        }
        this.dispatch();
      });
      slot.worker.on('error', (err) => this.lost(slot, err.message));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.lost(slot, `exited with code ${code}`);
      });
      this.slots.push(slot);
    }
  }

  /** Threads fitting (0: fits run on the calling thread). */
  get workers(): number {
    return this.entry === undefined ? 0 : this.size;
  }

  fit(request: FitRequest): Promise<FitResult> {
    if (this.closed) return Promise.reject(new Error('the fit pool is closed'));
    if (this.entry === undefined) return IN_PROCESS.fit(request);
    if (this.slots.length === 0) this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.next, request, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers; fits still waiting are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the fit pool is closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ id: job.id, request: job.request });
    }
  }

  /** A worker died: its fit fails, and so does every later one (the pool is no longer whole). */
  private lost(slot: Slot, why: string): void {
    if (this.closed) return;
    this.closed = true;
    const error = new Error(`a forecast worker stopped: ${why}`);
    slot.job?.reject(error);
    slot.job = undefined;
    for (const p of this.queue.splice(0)) p.reject(error);
    for (const s of this.slots) {
      s.job?.reject(error);
      s.job = undefined;
      void s.worker.terminate();
    }
  }
}
