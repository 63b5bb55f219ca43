"""Start a command that opens JupyterLab, see what it opens, stop it: for the set-up tests.

The Lab is started on 127.0.0.1 with a free port and a random token, with temporary
Jupyter config, runtime and workspace folders, and a stand-in "browser": a script that
writes the URL JupyterLab asks it to open into a file, so a test can check which notebook
the command opens.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningLab(NamedTuple):
    """What a started JupyterLab showed.

    Attributes:
        output (str): what the command printed up to the moment the Lab answered.
        opened (str): the URL it asked the browser to open.
        root (list[str]): the names in the Lab's root folder.
        notebooks (list[str]): the names in its ``notebooks/`` folder.
    """

    output: str
    opened: str
    root: list[str]
    notebooks: list[str]


# The stand-in browser. JupyterLab hands it a local page that redirects to the notebook to
# open (deleted when the server stops): it keeps the page's redirect URL.
BROWSER = """#!{python}
import re, sys, urllib.parse, urllib.request
page = sys.argv[1]
if page.startswith("file:"):
    html = open(urllib.request.url2pathname(urllib.parse.urlparse(page).path), encoding="utf-8").read()
    page = re.search(r'url=([^"]+)"', html)[1]
open({opened!r}, "w").write(page)
"""


def stop(server: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a JupyterLab server: politely first, then by force."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def lab_options(port: int, token: str, browser: Path) -> list[str]:
    return ["--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.browser={browser} %s", "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]


def run_lab(command: list[str], tmp_path: Path, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 120) -> RunningLab:
    """Run ``command`` plus the options above, wait until the Lab answers and has opened a URL, stop it."""
    port, token = free_port(), secrets.token_hex(16)
    opened_file = tmp_path / "opened-url"
    browser = tmp_path / "fake-browser"
    browser.write_text(BROWSER.format(python=sys.executable, opened=str(opened_file)))
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = dict(os.environ if env is None else env, JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "jupyter-workspaces"))
    log_path = tmp_path / "lab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([*command, *lab_options(port, token, browser)], cwd=cwd, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/api/contents/?token={token}", timeout=5) as response:
                        root = [item["name"] for item in json.load(response)["content"]]
                    if opened_file.exists():
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("JupyterLab did not start or open a page:\n" + log_path.read_text()[-4000:])
                time.sleep(0.5)
            with urllib.request.urlopen(f"{url}/api/contents/notebooks?token={token}", timeout=5) as response:
                notebooks = [item["name"] for item in json.load(response)["content"]]
            output = log_path.read_text()
        finally:
            stop(server)
    return RunningLab(output, opened_file.read_text().replace(token, "TOKEN"), root, notebooks)
