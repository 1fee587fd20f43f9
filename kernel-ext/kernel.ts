/**
 * gradlab's Jupyter kernel: tslab's own converter, executor and ZeroMQ
 * server (from the installed package's dist/), with
 * - a console of ours handed to the executor, which prints a cell's last
 *   value with console.log: values with `[Symbol.for("Jupyter.display")]()`
 *   (Deno's convention) go out as one `execute_result` with their whole MIME
 *   bundle, Promises are awaited first, anything else is `util.inspect`ed;
 * - a hook on globalThis (src/display/hook.ts) through which library code
 *   sends `display_data`, `update_display_data` and `clear_output` without
 *   importing tslab;
 * - what stock tslab 1.0.22 lacks: `execute_input`, `error` messages with
 *   ename/evalue/traceback, `stop_on_error` honoured (with it false, later
 *   cells run), `status` in `kernel_info_reply`, a `comm_info_reply` of the
 *   right type, an (empty) `history_reply`.
 *
 * Jupyter starts it as `node dist/kernel-ext/kernel.js <connection file>`
 * (see install.ts). It is an entry point, not a patch: tslab's
 * `findLocalStartKernel` would otherwise switch to another copy of tslab.
 */
import { createHmac, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { format, inspect } from "node:util";
import * as ts from "@tslab/typescript-for-tslab";
import { createConverter, Converter } from "tslab/dist/converter";
import { createExecutor, ConverterSet, Executor } from "tslab/dist/executor";
import * as tslabJupyter from "tslab/dist/jupyter";
import { JupyterHandlerImpl, ZmqServer } from "tslab/dist/jupyter";
import { bundleOf, isDisplayable, MimeBundle } from "../src/display/bundle";
import { installKernelHook, KernelHook, SendOptions } from "../src/display/hook";

type Content = Record<string, unknown>;
type Publish = (msgType: string, content: Content) => void;
type ZmqMsg = Parameters<ZmqServer["handleExecute"]>[1];
type Socket = Parameters<ZmqServer["handleExecute"]>[0];

interface ExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  stop_on_error?: boolean;
}

export interface ErrorContent extends Content {
  ename: string;
  evalue: string;
  traceback: string[];
}

const RED = "\x1b[31m", RESET = "\x1b[0m";
const TS_DIAGNOSTIC_FORMAT = "%s%d:%d - %s";

/** A thrown value as Jupyter's error content; the traceback drops the kernel's and Node's own frames. */
export function errorContent(e: unknown): ErrorContent {
  if (typeof e === "object" && e !== null && typeof (e as Error).message === "string") {
    const err = e as Error;
    const ename = err.name || "Error";
    const frames = (err.stack ?? "")
      .split("\n")
      .filter((l) => /^\s+at /.test(l))
      .filter((l) => !/node:internal|\(node:|\bnode:vm\b|[/\\]tslab[/\\]dist[/\\]|[/\\]kernel-ext[/\\]/.test(l));
    return { ename, evalue: err.message, traceback: [`${RED}${ename}${RESET}: ${err.message}`, ...frames] };
  }
  const text = typeof e === "string" ? e : inspect(e);
  return { ename: "Error", evalue: text, traceback: [`${RED}Uncaught${RESET} ${text}`] };
}

/** JSON-ready bundle: bytes become base64, and text/plain is always there. */
function normalizeBundle(b: Record<string, unknown>): Content {
  const out: Content = {};
  for (const [mime, v] of Object.entries(b)) out[mime] = v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v;
  if (typeof out["text/plain"] !== "string") out["text/plain"] = "";
  return out;
}

/** Where one cell's outputs go: stream text is coalesced, everything is sent in order. */
class CellOutput {
  error?: ErrorContent;
  interruptedScript = false;
  readonly diagnostics: string[] = [];
  private pending: Promise<unknown>[] = [];
  private buffered: { name: string; text: string } | null = null;
  private lastFlush = 0;
  private flushScheduled = false;

  constructor(
    private readonly publish: Publish,
    readonly count: number,
    readonly silent: boolean,
  ) {}

  send(msgType: string, content: Content): void {
    this.flush();
    this.publish(msgType, content);
  }

  /** stdout/stderr: merged into few messages, but never held long, so a busy loop's prints still show live. */
  stream(name: string, text: string): void {
    if (this.buffered && this.buffered.name !== name) this.flush();
    if (this.buffered) this.buffered.text += text;
    else this.buffered = { name, text };
    if (Date.now() - this.lastFlush > 50 || this.buffered.text.length > 64 * 1024) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    this.lastFlush = Date.now();
    const b = this.buffered;
    if (!b) return;
    this.buffered = null;
    this.publish("stream", { name: b.name, text: b.text });
  }

  result(bundle: MimeBundle): void {
    if (this.silent) return;
    this.send("execute_result", { execution_count: this.count, data: normalizeBundle(bundle), metadata: {} });
  }

  fail(e: unknown): void {
    // A busy loop stopped by SIGINT (vm's breakOnSigint): our SIGINT handler is not called then.
    if ((e as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") this.interruptedScript = true;
    this.error ??= errorContent(e);
  }

  track(work: Promise<unknown>): void {
    this.pending.push(work.catch((e: unknown) => this.fail(e)));
  }

  /** Waits for tracked work, including work that tracked work adds. */
  async settle(): Promise<void> {
    while (this.pending.length) {
      const now = this.pending;
      this.pending = [];
      await Promise.all(now);
    }
  }
}

/** The execution side: queue, counts, outputs, the display hook, interrupts. */
export class GradlabKernel implements KernelHook {
  executor!: Executor;
  interrupts = 0;
  readonly session = randomBytes(8).toString("hex");
  private count = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private enqueued = 0;
  // After an error with stop_on_error, requests sent before the error are aborted
  // (the rest of a "run all"), as ipykernel does: those already queued, and those
  // read from the socket just after it (a busy cell kept the loop from reading
  // them), told apart from a fresh request by the time the client stamped in the
  // header. Only for a second, so a client whose clock is behind is not cut off.
  private abortThrough = 0;
  private abortAt = -Infinity;
  private cell?: CellOutput;
  private rejectInterrupt: (e: Error) => void = () => {};

  /** The console the executor prints last values and errors with. */
  readonly console = {
    log: (value: unknown): void => this.showResult(value),
    error: (...args: unknown[]): void => {
      const cell = this.cell;
      if (!cell) return;
      if (args[0] === TS_DIAGNOSTIC_FORMAT) cell.diagnostics.push(format(...args));
      else cell.fail(args[0]);
    },
  };

  /** Queues a request; `sentAt` is the client's header date (ms), when it has one. */
  execute(req: ExecuteRequest, publish: Publish, sentAt = NaN): Promise<Content> {
    const ticket = ++this.enqueued;
    const arrived = Date.now();
    const run = this.queue.then(() => this.run(req, publish, ticket, sentAt, arrived));
    this.queue = run.catch(() => undefined);
    return run;
  }

  interrupt(): void {
    this.interrupts++;
    this.executor.interrupt();
    this.rejectInterrupt(new Error("Interrupted"));
  }

  // --- KernelHook: what library code reaches through globalThis ---------------------
  send(bundle: MimeBundle, opts: SendOptions = {}): void {
    const cell = this.cell;
    if (!cell) return;
    const update = opts.update === true && opts.displayId !== undefined;
    cell.send(update ? "update_display_data" : "display_data", {
      data: normalizeBundle(bundle),
      metadata: opts.metadata ?? {},
      transient: opts.displayId !== undefined ? { display_id: opts.displayId } : {},
    });
  }

  clearOutput(wait = false): void {
    this.cell?.send("clear_output", { wait });
  }

  track(work: Promise<unknown>): void {
    if (this.cell) this.cell.track(work);
  }

  /** Writes from outside any cell (an unhandled rejection in a timer) land in the last cell, as in ipykernel. */
  writeStderr(text: string): void {
    if (this.cell) this.cell.stream("stderr", text);
  }

  // --- one execute_request -------------------------------------------------------------
  private async run(req: ExecuteRequest, publish: Publish, ticket: number, sentAt: number, arrived: number): Promise<Content> {
    const sentBeforeError = sentAt < this.abortAt && arrived - this.abortAt < 1000;
    if (ticket <= this.abortThrough || sentBeforeError) return { status: "aborted", execution_count: this.count };
    const silent = req.silent === true;
    if (req.store_history ?? !silent) this.count++;
    const cell = new CellOutput(publish, this.count, silent);
    this.cell = cell;
    this.routeOutput(cell);
    if (!silent) publish("execute_input", { code: req.code, execution_count: this.count });
    const interrupted = new Promise<never>((_, reject) => (this.rejectInterrupt = reject));
    interrupted.catch(() => undefined);
    const interruptsBefore = this.interrupts;
    try {
      const ok = await Promise.race([this.executor.execute(req.code), interrupted]);
      await Promise.race([cell.settle(), interrupted]);
      if (!ok && !cell.error && cell.diagnostics.length === 0) cell.fail(new Error("the cell failed"));
    } catch (e) {
      cell.fail(e);
    }
    this.rejectInterrupt = () => {};
    cell.flush();
    let failure: ErrorContent | undefined = cell.error;
    if (cell.diagnostics.length) {
      const n = cell.diagnostics.length;
      failure = {
        ename: "CompileError",
        evalue: cell.diagnostics.join("\n"),
        traceback: [`${RED}CompileError${RESET}: ${n} TypeScript error${n > 1 ? "s" : ""} in this cell`, ...cell.diagnostics.map((d) => "  " + d)],
      };
    } else if (failure && (this.interrupts !== interruptsBefore || cell.interruptedScript)) {
      failure = { ename: "Interrupted", evalue: "interrupted by the user", traceback: [`${RED}Interrupted${RESET}: the kernel was interrupted (${failure.evalue})`] };
    }
    if (!failure) return { status: "ok", execution_count: this.count, payload: [], user_expressions: {} };
    if (!silent) publish("error", failure);
    if (req.stop_on_error !== false) {
      this.abortThrough = this.enqueued;
      this.abortAt = Date.now();
    }
    return { status: "error", execution_count: this.count, ...failure };
  }

  private showResult(value: unknown): void {
    const cell = this.cell;
    if (!cell || cell.silent || value === undefined) return;
    const show = (v: unknown): void => {
      if (v === undefined) return;
      const b = bundleOf(v);
      if (b instanceof Promise) cell.track(b.then((r) => cell.result(r)));
      else cell.result(b);
    };
    // A Promise as the last value is awaited and its result shown (unless it is itself displayable).
    if (!isDisplayable(value) && typeof (value as PromiseLike<unknown> | null)?.then === "function") {
      cell.track(Promise.resolve(value as PromiseLike<unknown>).then(show));
    } else show(value);
  }

  /** stdout/stderr, and tslab's own display API, into this cell. */
  private routeOutput(cell: CellOutput): void {
    const writer = (name: string) =>
      ((chunk: string | Uint8Array, encoding?: BufferEncoding | (() => void), cb?: () => void): boolean => {
        cell.stream(name, typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        const done = typeof encoding === "function" ? encoding : cb;
        if (done) process.nextTick(done);
        return true;
      }) as typeof process.stdout.write;
    process.stdout.write = writer("stdout");
    process.stderr.write = writer("stderr");
    // `import { display } from "tslab"` in a cell gets this tslab's public.js, which sends through here.
    (tslabJupyter as unknown as { lastWriteDisplayData: unknown }).lastWriteDisplayData = (data: Content, update: boolean): void => {
      cell.send(update ? "update_display_data" : "display_data", { ...data, data: normalizeBundle((data.data ?? {}) as Content) });
    };
  }
}

// --- the ZeroMQ side ---------------------------------------------------------------------------

const DELIM = Buffer.from("<IDS|MSG>");
/** Message types tslab's server handles; others it would warn about into the last cell's stderr. */
const TSLAB_TYPES = new Set(["kernel_info_request", "execute_request", "is_complete_request", "inspect_request", "complete_request", "comm_info_request", "shutdown_request"]);

class GradlabServer extends ZmqServer {
  constructor(
    private readonly kernel: GradlabKernel,
    private readonly version: { gradlab: string; tslab: string; typescript: string },
    handler: JupyterHandlerImpl,
    configPath: string,
  ) {
    super(handler, configPath);
    unlimitedSendQueues(this);
  }

  override handleKernelInfo(sock: Socket, msg: ZmqMsg): void {
    const reply = msg.createReply();
    reply.header.msg_type = "kernel_info_reply";
    const base = this.handler.handleKernel();
    reply.content = {
      status: "ok",
      ...base,
      implementation: "gradlab",
      implementation_version: this.version.gradlab,
      language_info: { ...base.language_info, version: this.version.typescript },
      banner: `gradlab ${this.version.gradlab}: TypeScript ${this.version.typescript} on tslab ${this.version.tslab}, Node ${process.version}`,
      help_links: [],
    };
    reply.signAndSend(this.connInfo.key, sock);
  }

  override async handleExecute(sock: Socket, msg: ZmqMsg): Promise<void> {
    const publish: Publish = (msgType, content) => {
      const m = msg.createReply();
      m.header.msg_type = msgType;
      m.content = content;
      m.signAndSend(this.connInfo.key, this.iopub);
    };
    const content = await this.kernel.execute(msg.content as ExecuteRequest, publish, Date.parse(msg.header.date));
    const reply = msg.createReply();
    reply.header.msg_type = "execute_reply";
    reply.content = content;
    reply.signAndSend(this.connInfo.key, sock);
  }

  override handleCommInfoRequest(sock: Socket, msg: ZmqMsg): void {
    const reply = msg.createReply();
    reply.header.msg_type = "comm_info_reply";
    reply.content = { status: "ok", comms: {} };
    reply.signAndSend(this.connInfo.key, sock);
  }

  override async handleShellMessage(sock: Socket, ...frames: Buffer[]): Promise<void> {
    const type = peekType(frames);
    if (type === undefined || TSLAB_TYPES.has(type)) return super.handleShellMessage(sock, ...frames);
    if (type === "history_request") this.replyRaw(sock, frames, "history_reply", { status: "ok", history: [] });
    else if (type === "interrupt_request") {
      this.kernel.interrupt();
      this.replyRaw(sock, frames, "interrupt_reply", { status: "ok" });
    }
    // Anything else (debug_request, usage_request, ...) is not supported and gets no reply, as in ipykernel.
  }

  override close(): void {
    super.close();
    // Timers a notebook left running must not keep a shut-down kernel alive.
    setTimeout(() => process.exit(0), 200).unref();
  }

  /** A reply to a message tslab's server does not parse for us: signed as the wire protocol says. */
  private replyRaw(sock: Socket, frames: Buffer[], msgType: string, content: Content): void {
    const d = frames.findIndex((f) => f.equals(DELIM));
    if (d < 0) return;
    const [hmac, ...parts] = frames.slice(d + 1);
    const key = this.connInfo.key;
    const sign = (bodies: (string | Buffer)[]): string => {
      const h = createHmac("sha256", key);
      for (const b of bodies) h.update(b);
      return h.digest("hex");
    };
    if (key && sign(parts.slice(0, 4)) !== hmac.toString()) return;
    const parent = JSON.parse(parts[0].toString()) as { session: string; username: string };
    const header = { version: "5.3", date: new Date().toISOString(), session: parent.session, username: parent.username, msg_type: msgType, msg_id: randomBytes(16).toString("hex") };
    const bodies = [JSON.stringify(header), JSON.stringify(parent), "{}", JSON.stringify(content)];
    (sock as { send(frames: (Buffer | string)[]): unknown }).send([...frames.slice(0, d), DELIM, sign(bodies), ...bodies]);
  }
}

/** The sockets tslab's `init` creates and sends on. */
const SENDING_SOCKETS = ["iopub", "shell", "control", "stdin"] as const;

/**
 * ZeroMQ queues at most 1,000 messages per peer by default and a Publisher
 * silently drops the rest. A frontend that reads slowly (a loaded machine, a
 * cell streaming progress updates) then missed messages; a lost `status: idle`
 * left nbclient waiting for the cell forever. Kernel messages are few and
 * small, so the queues are made unlimited (0). tslab creates the sockets inside
 * `init` and binds them right after; a high-water mark takes effect only for
 * connections made after it is set, so it is set as each socket is assigned.
 */
export function unlimitedSendQueues(server: object): void {
  for (const name of SENDING_SOCKETS) {
    let sock: unknown;
    Object.defineProperty(server, name, {
      configurable: true,
      enumerable: true,
      get: () => sock,
      set: (s: unknown) => {
        if (typeof s === "object" && s !== null && "sendHighWaterMark" in s) (s as { sendHighWaterMark: number }).sendHighWaterMark = 0;
        sock = s;
      },
    });
  }
}

function peekType(frames: Buffer[]): string | undefined {
  const d = frames.findIndex((f) => f.equals(DELIM));
  if (d < 0 || frames.length < d + 3) return undefined;
  try {
    return (JSON.parse(frames[d + 2].toString()) as { msg_type?: string }).msg_type;
  } catch {
    return undefined;
  }
}

/**
 * `{ x }` -> `{ x: x }` in a cell's source. tslab rewrites a name declared in an
 * earlier cell to `exports.x`, but not inside a shorthand property, so
 * `drawGraph(loss, { names: { w } })` failed with "w is not defined". The two
 * forms mean the same (also as destructuring targets), so every one is expanded.
 */
export function expandShorthand(src: string): string {
  if (!src.includes("{")) return src;
  const file = ts.createSourceFile("cell.ts", src, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const at: { pos: number; name: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isShorthandPropertyAssignment(node)) at.push({ pos: node.name.end, name: node.name.text });
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = src;
  for (const { pos, name } of at.sort((a, b) => b.pos - a.pos)) out = out.slice(0, pos) + ": " + name + out.slice(pos);
  return out;
}

/** Only cells that run get the rewrite; completion and inspection see the source as typed. */
function withShorthandFix(conv: Converter): Converter {
  return {
    convert: (prevDecl, src) => conv.convert(prevDecl, expandShorthand(src)),
    inspect: (prevDecl, src, position) => conv.inspect(prevDecl, src, position),
    complete: (prevDecl, src, position) => conv.complete(prevDecl, src, position),
    addModule: (name, content, meta) => conv.addModule(name, content, meta),
    close: () => conv.close(),
  };
}

/** Converters made on first use, as tslab's own main does (the browser one is rarely needed). */
class Converters implements ConverterSet {
  private nodeConv?: Converter;
  private browserConv?: Converter;
  get node(): Converter {
    return (this.nodeConv ??= withShorthandFix(createConverter({ isJS: false, isBrowser: false })));
  }
  get browser(): Converter {
    return (this.browserConv ??= createConverter({ isJS: false, isBrowser: true }));
  }
  close(): void {
    this.nodeConv?.close();
    this.browserConv?.close();
  }
}

/** This checkout's file `name`, found from here upwards (dist/kernel-ext/ when built, kernel-ext/ under tsx). */
function findUp(name: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) throw new Error(`gradlab kernel: no ${name} above ${__dirname}`);
  }
}

/**
 * The execution side alone, without ZeroMQ: cells run through `kernel.execute`
 * exactly as Jupyter's requests do. The grader (src/grade/harness.ts) runs
 * submissions with it, so a cell behaves there as in the notebook.
 */
export function createKernel(cwd = process.cwd()): GradlabKernel {
  const kernel = new GradlabKernel();
  const convs = new Converters();
  void convs.node; // compile the first cell without waiting for the TypeScript service to start
  kernel.executor = createExecutor(cwd, convs, kernel.console);
  installKernelHook(kernel);
  return kernel;
}

export function startKernel(connectionFile: string): void {
  const kernel = createKernel();
  const version = {
    gradlab: (require(findUp("package.json")) as { version: string }).version,
    tslab: (require("tslab/package.json") as { version: string }).version,
    typescript: (require("@tslab/typescript-for-tslab") as { version: string }).version,
  };
  const server = new GradlabServer(kernel, version, new JupyterHandlerImpl(kernel.executor, false), connectionFile);
  process.on("SIGINT", () => kernel.interrupt());
  process.on("uncaughtException", (err) => kernel.writeStderr(`Uncaught exception: ${errorContent(err).traceback.join("\n")}\n`));
  process.on("unhandledRejection", (reason) => kernel.writeStderr(`Unhandled promise rejection: ${errorContent(reason).traceback.join("\n")}\n`));
  void server.init();
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node dist/kernel-ext/kernel.js <connection file>  (Jupyter starts this; see `npx gradlab kernel install`)\n");
    process.exit(2);
  }
  startKernel(file);
}
