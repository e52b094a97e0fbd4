"""`flowsim app`'s server: Streamlit, plus the first page prepared while it starts.

    python -m flowsim.serve SCRIPT [streamlit run options]

Streamlit runs nothing until a browser connects, so the first visitor used to pay for the app's
imports, the worker pool's start and the opening setting's simulation. Here a background thread
does all three as soon as the server's runtime exists, into the same in-process caches the page
reads (`flowsim.app.prepare`): the first page is then a cache hit. A page that arrives sooner
waits on the same computation (Streamlit locks a cached value while it is computed), never twice.
"""

from __future__ import annotations

import os
import sys
import threading
import time


def _prepare() -> None:
    from streamlit.runtime import Runtime

    start = time.perf_counter()
    deadline = time.time() + 60
    while not Runtime.exists() and time.time() < deadline:
        time.sleep(0.05)
    try:
        from flowsim import app

        app.prepare(os.environ.get("FLOWSIM_APP_SCENARIO") or "hanoi")
        print(f"flowsim app: first page prepared in {time.perf_counter() - start:.1f} s", flush=True)
    except Exception as exc:  # noqa: BLE001 - a failed preparation only loses the head start
        print(f"flowsim app: the first page was not prepared ({exc.__class__.__name__}: {exc})", file=sys.stderr)


def main(argv: list[str]) -> None:
    threading.Thread(target=_prepare, name="flowsim-prepare", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
