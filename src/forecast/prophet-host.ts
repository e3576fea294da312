// Prophet's fits run in a worker thread that is replaced every RECYCLE_AFTER fits: the Prophet
// optimizer (@bsull/augurs-prophet-wasmstan 0.2.0, the newest) keeps about 0.4 MB of its own
// WebAssembly memory per fit that nothing outside it can free, so a process that fits every run
// (`run`'s schedule, a long replay) would otherwise grow for as long as it lives. The calls stay
// synchronous, as the Forecaster seam is: the caller posts a request and waits on a shared flag
// the worker raises once its answer is on the port (Atomics.wait, receiveMessageOnPort). The
// worker loads the same installed modules as wasm.ts; nothing is fetched.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Fits on one worker before it is replaced (once no model it holds is still in use). */
export const RECYCLE_AFTER = 200;
/** Longest a call may take before the worker counts as lost (a fit takes well under a second). */
const ANSWER_MS = 300_000;

const require = createRequire(import.meta.url);
const prophetJs = pathToFileURL(require.resolve('@bsull/augurs/prophet')).href;
const wasmstanJs = pathToFileURL(require.resolve('@bsull/augurs-prophet-wasmstan')).href;

/** The worker: Prophet models by id; every answer goes on the port, then the flag is raised. */
const WORKER = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { fileURLToPath } = require('node:url');
const { signal, port, prophetJs, wasmstanJs } = workerData;
const reply = (m) => {
  port.postMessage(m);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
};
const text = (err) => (err instanceof Error ? err.message : typeof err === 'string' ? err : String(err));
(async () => {
  const prophet = await import(prophetJs);
  prophet.initSync({ module: readFileSync(fileURLToPath(prophetJs).replace(/prophet\\.js$/, 'prophet_bg.wasm')) });
  const { optimizer } = await import(wasmstanJs);
  const models = new Map();
  port.on('message', (msg) => {
    try {
      if (msg.op === 'fit') {
        const m = new prophet.Prophet({ ...msg.options, optimizer });
        try {
          m.fit(msg.data, msg.fit);
        } catch (err) {
          m.free();
          throw err;
        }
        models.set(msg.id, m);
        reply({ ok: true });
      } else if (msg.op === 'predict') {
        const m = models.get(msg.id);
        if (!m) throw new Error('no such model');
        reply({ ok: true, value: m.predict(msg.data ?? undefined).yhat.point });
      } else {
        models.get(msg.id)?.free();
        models.delete(msg.id);
        reply({ ok: true });
      }
    } catch (err) {
      reply({ ok: false, error: text(err) });
    }
  });
  reply({ ok: true });
})().catch((err) => reply({ ok: false, error: text(err) }));
`;

interface Answer {
  ok: boolean;
  value?: number[];
  error?: string;
}

class Host {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private next = 0;
  fits = 0;
  readonly live = new Set<number>();

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { signal: this.signal, port: port2, prophetJs, wasmstanJs },
      transferList: [port2],
    });
    // The process may end while the worker waits for work.
    this.worker.unref();
    this.port.unref();
    this.answer();
  }

  private answer(): number[] | undefined {
    // A wake-up with the flag still down is the previous answer's notify arriving late (the worker
    // raised the flag, this thread saw it before the worker notified, and went on): wait again.
    // (At most one such late notify a call, so each wait keeps the whole limit.)
    while (Atomics.load(this.signal, 0) === 0) {
      if (Atomics.wait(this.signal, 0, 0, ANSWER_MS) === 'timed-out') {
        throw new Error(`the Prophet worker gave no answer within ${ANSWER_MS / 1000} s`);
      }
    }
    Atomics.store(this.signal, 0, 0);
    const got = receiveMessageOnPort(this.port)?.message as Answer | undefined;
    if (!got) throw new Error('the Prophet worker raised its flag without an answer');
    if (!got.ok) throw new Error(got.error ?? 'Prophet failed');
    return got.value;
  }

  call(message: Record<string, unknown>): number[] | undefined {
    this.port.postMessage(message);
    return this.answer();
  }

  fit(options: Record<string, unknown>, data: { ds: number[]; y: number[] }, fit: Record<string, unknown>) {
    const id = this.next++;
    this.fits++;
    this.call({ op: 'fit', id, options, data, fit });
    this.live.add(id);
    return id;
  }

  free(id: number): void {
    if (!this.live.delete(id)) return;
    this.call({ op: 'free', id });
  }

  close(): void {
    void this.worker.terminate();
  }
}

let host: Host | undefined;
/** Workers started so far in this process. */
let started = 0;

/** How many workers this process has started, and how many fits and live models the current one has. */
export function prophetHostStats(): { workers: number; fits: number; live: number } {
  return { workers: started, fits: host?.fits ?? 0, live: host?.live.size ?? 0 };
}

/** The current worker, replaced by a fresh one once it has fitted RECYCLE_AFTER models and holds none. */
function current(): Host {
  if (host && host.fits >= RECYCLE_AFTER && host.live.size === 0) {
    host.close();
    host = undefined;
  }
  if (!host) {
    host = new Host();
    started++;
  }
  return host;
}

/** A Prophet model fitted in the worker: predict on it, then free it. */
export interface HostedProphet {
  /** yhat for `ds` (Unix seconds), or in-sample when absent. */
  predict(ds?: number[]): number[];
  free(): void;
}

/** Fits a Prophet model (options as augurs' Prophet takes them, without the optimizer) in the worker. */
export function fitProphet(
  options: Record<string, unknown>,
  data: { ds: number[]; y: number[] },
  fit: { iter: number; seed: number },
): HostedProphet {
  const h = current();
  const id = h.fit(options, data, fit);
  let freed = false;
  return {
    predict: (ds) => h.call({ op: 'predict', id, data: ds ? { ds } : undefined })!,
    free: () => {
      if (freed) return;
      freed = true;
      h.free(id);
    },
  };
}
