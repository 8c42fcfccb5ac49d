"""`make lab`: start JupyterLab with the arguments given and print the URL to open once it serves.

    .venv/bin/python .ci/lab.py [JUPYTER LAB ARGUMENTS...]

JupyterLab's own log has the URL among many lines; this waits until the server this process started has
written its runtime file (port, base URL and token, whatever the arguments chose), prints one line

    ==> JupyterLab is serving notebooks/: open http://localhost:8899/lab?token=...

and then waits for the server; Ctrl-C stops it as usual (JupyterLab asks to confirm).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from jupyter_server.serverapp import list_running_servers

WAIT = 120.0  # seconds for the server to start before the URL line gives up (the server keeps running)


def url_of(pid: int) -> str | None:
    """The URL with token of the running Jupyter server whose process is ``pid``, once it has started."""
    for server in list_running_servers():
        if server.get("pid") == pid:
            token = server.get("token")
            return f"{server['url'].rstrip('/')}/lab" + (f"?token={token}" if token else "")
    return None


def main(argv: list[str]) -> int:
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", *argv])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server (same process group); it decides
    deadline = time.monotonic() + WAIT
    while server.poll() is None and time.monotonic() < deadline:
        url = url_of(server.pid)
        if url is not None:
            print(f"==> JupyterLab is serving: open {url}", flush=True)
            break
        time.sleep(0.5)
    else:
        if server.poll() is None:
            print(f"==> JupyterLab has not started in {WAIT:.0f} s; its log above says why", flush=True)
    return server.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
