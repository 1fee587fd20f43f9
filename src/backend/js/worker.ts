import { MessagePort, receiveMessageOnPort } from "node:worker_threads";
import { decodeJob, dispenser, externalsOf, runTask } from "./tasks";

/*
 * The worker side of parallel.ts. A worker sleeps in Atomics.wait on its
 * job counter; the main thread writes a job into shared memory, bumps the
 * counter and wakes it. The worker takes units of the job until none is
 * left and bumps its done counter. A worker blocked in Atomics.wait sees no
 * events, so what goes by message (a new, larger arena; the shared buffers of
 * a job whose arrays live outside the arena) is read synchronously with
 * receiveMessageOnPort when the job starts.
 *
 * The control block is an Int32Array with one 64-byte slot per thread
 * (slot 0 is the main thread's), so two threads never write the same cache line.
 */
export const SLOT = 16;
/** In slot 0: how many times the arena has been replaced by a larger one, and the next unit of the current job. */
export const GEN = 0, NEXT = 1;
/**
 * In a worker's slot: the job counter (the main thread writes it), the done
 * counter (the worker writes it), the worker's state, whether its last job
 * failed, and the ticket of the job sent to it: whichever of the worker and
 * the main thread swaps it for 0 first decides whether the worker takes part.
 */
export const SEQ = 0, DONE = 1, STATE = 2, FAILED = 3, TICKET = 4;
export const STARTING = 0, READY = 1, DEAD = 2;
/** Doubles in the job description (see encodeJob). */
export const DESC_LENGTH = 256;

export interface WorkerInit {
  ctl: SharedArrayBuffer;
  desc: SharedArrayBuffer;
  /** This worker's thread index, 1..T-1 (the main thread is 0). */
  index: number;
  /** Main to worker: new arenas {arena, gen} and a job's shared buffers {seq, externals}; worker to main: errors {error}. */
  port: MessagePort;
}

/** Serves jobs until the worker is terminated. */
export function serve(init: WorkerInit): void {
  const ctl = new Int32Array(init.ctl);
  const desc = new Float64Array(init.desc);
  const base = init.index * SLOT;
  let arena = new SharedArrayBuffer(0);
  let gen = 0;
  let seen = 0;
  Atomics.store(ctl, base + STATE, READY);
  Atomics.notify(ctl, base + STATE);
  for (;;) {
    Atomics.wait(ctl, base + SEQ, seen);
    const seq = Atomics.load(ctl, base + SEQ);
    if (seq === seen) continue;
    seen = seq;
    // the main thread takes a job back when it has done every unit before this worker woke up
    if (Atomics.compareExchange(ctl, base + TICKET, seq, 0) !== seq) continue;
    let failed = 0;
    try {
      // the main thread posts a new arena, and the job's own shared buffers, before the job, so
      // they are already queued; buffers of a job this worker skipped (its ticket was taken back)
      // are still queued too, and are dropped
      // (drained to the end, so that no queued message keeps a big buffer alive while this worker sleeps)
      const want = Atomics.load(ctl, GEN);
      let externals: SharedArrayBuffer[] = [];
      for (let m = receiveMessageOnPort(init.port); m; m = receiveMessageOnPort(init.port)) {
        const msg = m.message as { arena?: SharedArrayBuffer; gen?: number; externals?: SharedArrayBuffer[]; seq?: number };
        if (msg.arena) ({ arena, gen } = msg as { arena: SharedArrayBuffer; gen: number });
        else if (msg.seq === seq && msg.externals) externals = msg.externals;
      }
      if (gen !== want) throw new Error(`arena ${want} was not sent`);
      if (externals.length !== externalsOf(desc)) throw new Error(`the shared buffers of job ${seq} were not sent`);
      const job = decodeJob(desc, arena, externals);
      runTask(job, dispenser(job, init.index, ctl, NEXT), init.index);
    } catch (e) {
      failed = 1;
      init.port.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
    Atomics.store(ctl, base + FAILED, failed);
    Atomics.store(ctl, base + DONE, seq);
    Atomics.notify(ctl, base + DONE);
  }
}

/**
 * Plain JavaScript the Worker is started with (eval), so that even a worker
 * file that fails to load reports why, and a worker that exits for any
 * reason marks itself dead: the main thread waits on shared memory, not on
 * events, and would otherwise wait forever.
 */
export const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
const ctl = new Int32Array(workerData.ctl);
const base = workerData.index * ${SLOT};
process.on("exit", () => {
  Atomics.store(ctl, base + ${STATE}, ${DEAD});
  Atomics.notify(ctl, base + ${STATE});
  Atomics.notify(ctl, base + ${DONE});
});
try {
  require(workerData.file).serve(workerData);
} catch (e) {
  workerData.port.postMessage({ error: String((e && e.stack) || e) });
  process.exit(1);
}
`;
