import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { DISPLAY_NAME, installKernelSpec, kernelSpec, uninstallKernelSpec, userDataDir } from "../../kernel-ext/install";
import { howToGetJupyter, obtainJupyter, ObtainSteps } from "../../kernel-ext/jupyter";
import { errorContent, expandShorthand, unlimitedSendQueues } from "../../kernel-ext/kernel";
import { ROOT, ensureBuilt, requirePython, tempDir } from "./util";

describe("kernel-ext: pieces", () => {
  it("a frontend that reads late still gets every message the kernel published", async function () {
    this.timeout(20000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const zmq = require("zeromq") as typeof import("zeromq");
    const server: { iopub?: InstanceType<typeof zmq.Publisher> } = {};
    unlimitedSendQueues(server);
    server.iopub = new zmq.Publisher();
    assert.equal(server.iopub.sendHighWaterMark, 0);
    const pub = server.iopub;
    const sub = new zmq.Subscriber();
    try {
      await pub.bind("tcp://127.0.0.1:*");
      sub.connect(pub.lastEndpoint as string);
      sub.subscribe();
      // a subscription reaches the publisher asynchronously; probe until one arrives
      sub.receiveTimeout = 50;
      for (;;) {
        await pub.send("probe");
        try {
          await sub.receive();
          break;
        } catch {
          // not subscribed yet
        }
      }
      const N = 6000; // ZeroMQ's default queues (1,000 at each end) would drop most of these
      for (let i = 0; i < N; i++) await pub.send(`m${i}`);
      sub.receiveTimeout = 5000;
      let received = 0;
      while (received < N) {
        const text = (await sub.receive().catch(() => { throw new Error(`only ${received} of ${N} messages arrived`); }))[0].toString();
        if (text === "probe") continue;
        assert.equal(text, `m${received}`, "in order, none missing");
        received++;
      }
    } finally {
      sub.close();
      pub.close();
    }
  });

  it("expands shorthand properties, which tslab leaves pointing at nothing", () => {
    assert.equal(expandShorthand("f({ a, b: 1, c })"), "f({ a: a, b: 1, c: c })");
    assert.equal(expandShorthand("const { a = 2 } = o;"), "const { a = 2 } = o;", "binding patterns are not shorthand properties");
    assert.equal(expandShorthand("({ a = 2 } = o);"), "({ a: a = 2 } = o);");
    assert.equal(expandShorthand('const s = "{ a }";'), 'const s = "{ a }";');
  });

  it("errors become ename, evalue and a traceback without the kernel's frames", () => {
    const e = new TypeError("bad thing");
    e.stack = [
      "TypeError: bad thing",
      "    at userFn (evalmachine.<anonymous>:3:9)",
      "    at Object.execute (/x/node_modules/tslab/dist/executor.js:10:1)",
      "    at node:internal/process/task_queues:95:5",
      "    at run (/x/dist/kernel-ext/kernel.js:1:1)",
    ].join("\n");
    const c = errorContent(e);
    assert.equal(c.ename, "TypeError");
    assert.equal(c.evalue, "bad thing");
    assert.deepEqual(c.traceback, ["\x1b[31mTypeError\x1b[0m: bad thing", "    at userFn (evalmachine.<anonymous>:3:9)"]);
    assert.equal(errorContent("just a string").evalue, "just a string");
  });

  it("the kernelspec starts this checkout's built kernel with this Node", () => {
    const spec = kernelSpec();
    assert.deepEqual(spec.argv, [process.execPath, join(ROOT, "dist", "kernel-ext", "kernel.js"), "{connection_file}"]);
    assert.equal(spec.display_name, "TypeScript (gradlab)");
    assert.equal(spec.interrupt_mode, "signal");
  });

  it("installs into (and uninstalls from) a Jupyter data folder; JUPYTER_DATA_DIR wins", () => {
    const dir = tempDir("gradlab-spec-");
    try {
      assert.equal(userDataDir({ JUPYTER_DATA_DIR: dir }), dir);
      const where = installKernelSpec({ dataDir: dir });
      assert.equal(where, join(dir, "kernels", "gradlab"));
      const json = JSON.parse(readFileSync(join(where, "kernel.json"), "utf8")) as { display_name: string };
      assert.equal(json.display_name, DISPLAY_NAME);
      assert.ok(uninstallKernelSpec({ dataDir: dir }));
      assert.ok(!existsSync(where));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("getting Jupyter where there is none", () => {
    /** Steps that record each command and answer with the exit status `status(cmd, args)`. */
    const fake = (over: Partial<ObtainSteps>, status: (cmd: string, args: readonly string[]) => number) => {
      const calls: string[] = [], removed: string[] = [];
      const steps: ObtainSteps = {
        run: (cmd, args) => (calls.push([cmd, ...args].join(" ")), status(cmd, args)),
        removeDir: (d) => void removed.push(d),
        basePython: "/usr/bin/python3", canApt: false, find: () => ({ python: "/usr/bin/python3", app: "notebook" }), log: () => undefined,
        ...over,
      };
      return { steps, calls, removed };
    };
    const venv = join(ROOT, ".venv");

    it("pip-installs JupyterLab into the checkout's .venv where PyPI answers", () => {
      const { steps, calls } = fake({}, () => 0);
      assert.deepEqual(obtainJupyter(steps), { python: join(venv, "bin", "python"), app: "lab" });
      assert.equal(calls[0], `/usr/bin/python3 -m venv ${venv}`);
      assert.match(calls[1], /\.venv\/bin\/python -m pip install .*jupyterlab$/);
      assert.equal(calls.length, 2, "apt-get is not touched when pip worked");
    });

    it("falls back to Debian's notebook as root when pip fails, removing the half-made .venv", () => {
      const { steps, calls, removed } = fake({ canApt: true }, (cmd, args) => (args.includes("pip") ? 1 : 0));
      assert.deepEqual(obtainJupyter(steps), { python: "/usr/bin/python3", app: "notebook" });
      assert.deepEqual(removed, [venv]);
      assert.ok(calls.some((c) => /apt-get install -y .*jupyter-notebook$/.test(c)), calls.join("\n"));
    });

    it("gives up (so start says what to install) without pip or root", () => {
      const { steps, calls } = fake({ basePython: undefined, canApt: false }, () => 0);
      assert.equal(obtainJupyter(steps), undefined);
      assert.deepEqual(calls, []);
    });
  });

  it("says how to get Jupyter when there is none", () => {
    const text = howToGetJupyter();
    assert.match(text, /pip install --user jupyterlab/);
    assert.match(text, /apt-get install jupyter-notebook/);
  });
});

function freePort(): Promise<number> {
  return new Promise((done) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => done(port));
    });
  });
}

function getJson(url: string): Promise<unknown> {
  return new Promise((done, fail) => {
    get(url, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => {
        try {
          done(JSON.parse(body));
        } catch (e) {
          fail(e);
        }
      });
    }).on("error", fail);
  });
}

describe("kernel-ext: npm start", function () {
  this.timeout(90_000);

  it("installs the kernelspec, serves notebooks/, prints the URL, and the server lists the gradlab kernel", async () => {
    ensureBuilt();
    requirePython(["notebook"]);
    const tmp = tempDir("gradlab-start-");
    const port = await freePort();
    // Everything Jupyter writes goes to a temporary folder: the test changes nothing for the user.
    const env = { ...process.env, JUPYTER_DATA_DIR: join(tmp, "data"), JUPYTER_RUNTIME_DIR: join(tmp, "runtime"), JUPYTER_CONFIG_DIR: join(tmp, "config") };
    const child = spawn(process.execPath, [join(ROOT, "bin", "gradlab.js"), "start", `--port=${port}`, "--ip=127.0.0.1"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((done) => child.on("exit", done));
    try {
      const url = await new Promise<string>((done, fail) => {
        const t = setTimeout(() => fail(new Error("no URL printed:\n" + out)), 60_000);
        const check = (): void => {
          const m = /gradlab: open (http:\/\/\S+token=(\w+))/.exec(out);
          if (m) {
            clearTimeout(t);
            done(m[1]);
          } else setTimeout(check, 100);
        };
        check();
      });
      assert.match(out, /kernel "TypeScript \(gradlab\)" installed/);
      const token = /token=(\w+)/.exec(url)?.[1];
      const specs = (await getJson(`http://127.0.0.1:${port}/api/kernelspecs?token=${token}`)) as { kernelspecs: Record<string, { spec: { display_name: string } }> };
      assert.equal(specs.kernelspecs.gradlab?.spec.display_name, "TypeScript (gradlab)");
    } finally {
      child.kill("SIGTERM");
      await exited;
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
