"""Execute notebooks headless with nbclient and write executed copies (and HTML).

Called by `npm run notebooks` and the kernel tests through kernel-ext/notebooks.ts;
usable on its own:
    python3 kernel-ext/run_notebooks.py --kernel gradlab --out dist/notebooks notebooks/*.ipynb
Prints one JSON line per notebook ({"notebook", "ok", "seconds", "error"}) and
exits 1 when any failed.
"""
import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--kernel", default="gradlab")
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell; 0 for no limit")
    ap.add_argument("--allow-errors", action="store_true",
                    help="run every cell even after one fails (nbclient sends stop_on_error=False)")
    ap.add_argument("--html", action="store_true", help="also write HTML next to the executed copy")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    failed = 0
    for path in args.notebooks:
        name = os.path.splitext(os.path.basename(path))[0]
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb, kernel_name=args.kernel, timeout=args.timeout or None, allow_errors=args.allow_errors,
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        )
        t0 = time.time()
        error = None
        try:
            client.execute()
        except CellExecutionError as e:
            error = str(e).strip().splitlines()[-1] if str(e).strip() else "cell failed"
        except Exception as e:  # kernel died, timeout, ...
            error = "%s: %s" % (type(e).__name__, e)
        seconds = round(time.time() - t0, 2)
        out_nb = os.path.join(args.out, name + ".ipynb")
        nbformat.write(nb, out_nb)
        if args.html:
            from nbconvert import HTMLExporter
            body, _ = HTMLExporter().from_notebook_node(nb)
            with open(os.path.join(args.out, name + ".html"), "w", encoding="utf-8") as f:
                f.write(body)
        if error:
            failed += 1
        print(json.dumps({"notebook": path, "ok": error is None, "seconds": seconds, "error": error,
                          "executed": out_nb}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
