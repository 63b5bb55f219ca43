"""tasks.py's set-up: the CPU-first choice of PyTorch, a PyTorch index of one's own, root in JupyterLab.

The GPU is faked (a stand-in ``nvidia-smi``, a stand-in driver folder); the PyTorch index is
a real one (PEP 503) served on 127.0.0.1 with the torch wheel of this environment, and torch
is really installed from it into a throwaway environment.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.metadata
import importlib.util
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import urllib.parse
import venv
from pathlib import Path
from types import SimpleNamespace

import pytest

from ssd_course import cli, doctor
from tests.jupyter_helpers import run_lab

ROOT = Path(__file__).resolve().parent.parent
IN_TASKS_VENV = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()


def _load_tasks():
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tasks = _load_tasks()

NO_GPU = (False, "no NVIDIA GPU found (no nvidia-smi, none in /proc/driver/nvidia/gpus)")
A_GPU = (True, "nvidia-smi lists 1 NVIDIA GPU (NVIDIA H200)")
MIRROR = "https://mirror.example.org/pytorch/whl/cpu"


def closed_port_url() -> str:
    """The URL of an index on a port of 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/simple"


# ---------------------------------------------------------------------------------------------
# The choice


@pytest.mark.parametrize(("options", "environ", "system", "gpu", "index", "named", "said"), [
    # CPU-first: Linux without a GPU gets the CPU-only build, and the line says what was seen
    ({}, {}, "Linux", NO_GPU, tasks.CPU_INDEX, False, "no NVIDIA GPU found"),
    ({}, {}, "Linux", A_GPU, None, False, "nvidia-smi lists 1 NVIDIA GPU"),
    ({"cuda": True}, {}, "Linux", NO_GPU, None, False, "(--cuda)"),
    ({"cpu": True}, {}, "Linux", A_GPU, tasks.CPU_INDEX, False, "(--cpu)"),
    # macOS and Windows: pip's default build has no CUDA
    ({}, {}, "Darwin", NO_GPU, None, False, "Darwin"),
    ({}, {}, "Windows", NO_GPU, None, False, "Windows"),
    # a named index wins over everything, the option over the environment variable
    ({"torch_index": MIRROR}, {}, "Linux", A_GPU, MIRROR, True, "(--torch-index)"),
    ({}, {"SSD_COURSE_TORCH_INDEX": MIRROR + "/"}, "Linux", NO_GPU, MIRROR, True, "(SSD_COURSE_TORCH_INDEX)"),
    ({"torch_index": MIRROR, "cuda": True}, {"SSD_COURSE_TORCH_INDEX": "https://other.example.org/simple"},
     "Linux", NO_GPU, MIRROR, True, "(--torch-index)"),
    ({}, {"SSD_COURSE_TORCH_INDEX": "  "}, "Linux", NO_GPU, tasks.CPU_INDEX, False, "CPU-only"),
])
def test_torch_choice(options, environ, system, gpu, index, named, said):
    arguments = {"cpu": False, "cuda": False, "torch_index": None, **options}
    choice = tasks.choose_torch(arguments["cpu"], arguments["cuda"], arguments["torch_index"], environ, system, gpu)
    assert (choice.index, choice.named) == (index, named)
    assert said in choice.reason and "\n" not in choice.reason


@pytest.mark.parametrize("given", ["download.pytorch.org/whl/cpu", "ftp://mirror.example.org/whl", "-e ."])
def test_a_named_index_must_be_a_url(given):
    with pytest.raises(tasks.SetupError, match=r"--torch-index must be the URL of a package index.*got"):
        tasks.choose_torch(False, False, given, {}, "Linux", NO_GPU)


def fake_nvidia_smi(folder: Path, output: str, exit_code: int = 0) -> Path:
    script = folder / "nvidia-smi"
    lines = "".join(f"echo '{line}'\n" for line in output.splitlines())  # echo: a shell builtin, needs no PATH
    script.write_text(f"#!/bin/sh\n{lines}exit {exit_code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.mark.skipif(os.name != "posix", reason="stand-in nvidia-smi is a shell script")
def test_gpu_detection(tmp_path, monkeypatch):
    driver = tmp_path / "gpus"
    driver.mkdir()
    two = fake_nvidia_smi(tmp_path, "GPU 0: NVIDIA H200 (UUID: GPU-1)\nGPU 1: NVIDIA H200 (UUID: GPU-2)")
    assert doctor.nvidia_gpu(two, driver) == (True, "nvidia-smi lists 2 NVIDIA GPUs (NVIDIA H200)")

    broken = tmp_path / "broken"
    broken.mkdir()
    failing = fake_nvidia_smi(broken, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver",
                              exit_code=9)
    found, seen = doctor.nvidia_gpu(failing, driver)
    assert not found and "nvidia-smi lists no GPU" in seen

    (driver / "0000:01:00.0").mkdir()  # the driver sees a GPU that nvidia-smi cannot reach
    assert doctor.nvidia_gpu(failing, driver) == (True, f"the NVIDIA driver lists 1 GPU in {driver}")

    # nothing at all: no nvidia-smi on the PATH or in WSL's folder, no driver folder
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(doctor, "WSL_NVIDIA_SMI", tmp_path / "no-wsl" / "nvidia-smi")
    found, seen = doctor.nvidia_gpu(proc_gpus=tmp_path / "no-driver")
    assert not found and seen.startswith("no NVIDIA GPU found (no nvidia-smi")

    monkeypatch.setenv("PATH", str(tmp_path))  # the stand-in that lists two GPUs
    assert doctor.nvidia_gpu(proc_gpus=tmp_path / "no-driver")[0]


# ---------------------------------------------------------------------------------------------
# A PyTorch index of one's own


@pytest.fixture(scope="module")
def torch_wheel(tmp_path_factory) -> Path:
    """The wheel of the torch installed here, as pip obtains it: from its cache, its find-links or its
    index, else (a CPU-only build) from PyTorch's CPU index."""
    version = importlib.metadata.version("torch")
    folder = tmp_path_factory.mktemp("wheels")
    download = [sys.executable, "-m", "pip", "download", f"torch=={version}", "--no-deps", "--only-binary=:all:",
                "--quiet", "-d", str(folder)]
    result = subprocess.run(download, capture_output=True, text=True)
    if result.returncode != 0 and version.endswith("+cpu"):
        result = subprocess.run([*download, "--index-url", tasks.CPU_INDEX], capture_output=True, text=True)
    wheels = list(folder.glob("torch-*.whl"))
    if result.returncode != 0 or not wheels:
        pytest.skip(f"pip cannot obtain the wheel of torch {version} here: {result.stderr.strip()[-300:]}")
    return wheels[0]


@pytest.fixture
def local_index(tmp_path, torch_wheel):
    """A PEP 503 index on 127.0.0.1 serving only the torch wheel; yields its URL and the paths requested."""
    root = tmp_path / "index"
    (root / "simple" / "torch").mkdir(parents=True)
    (root / "files").mkdir()
    (root / "files" / torch_wheel.name).symlink_to(torch_wheel)
    digest = hashlib.sha256(torch_wheel.read_bytes()).hexdigest()
    href = f"../../files/{urllib.parse.quote(torch_wheel.name)}#sha256={digest}"
    (root / "simple" / "index.html").write_text('<!DOCTYPE html><html><body><a href="torch/">torch</a></body></html>')
    (root / "simple" / "torch" / "index.html").write_text(
        f'<!DOCTYPE html><html><body><a href="{href}">{torch_wheel.name}</a></body></html>')
    requested: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            requested.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple", requested
    server.shutdown()
    server.server_close()


def only_this_index(monkeypatch) -> None:
    """pip without its configuration files and variables: no other index, find-links or constraints."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)


def test_torch_is_installed_from_a_named_index(tmp_path, local_index, torch_wheel, monkeypatch, capsys):
    url, requested = local_index
    only_this_index(monkeypatch)
    monkeypatch.setenv("PIP_NO_COMPILE", "1")  # torch's thousands of .pyc files are not what is tested
    environment = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    choice = tasks.choose_torch(False, False, url, {}, "Linux", NO_GPU)
    index = tasks.torch_index(choice)
    tasks.install_torch(python, index)

    assert index == url
    assert "--index-url" in capsys.readouterr().out
    assert tasks.installed_torch(python) == importlib.metadata.version("torch")
    assert "/simple/torch/" in requested
    assert f"/files/{urllib.parse.quote(torch_wheel.name)}" in requested


def test_a_named_index_that_cannot_be_reached_stops_before_anything_is_written(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "ssd_course").mkdir(parents=True)
    for name in ("tasks.py", "pyproject.toml", "ssd_course/cli.py", "ssd_course/doctor.py"):
        shutil.copyfile(ROOT / name, checkout / name)
    unreachable = closed_port_url()
    for options, env in ((["--torch-index", unreachable], {}), ([], {"SSD_COURSE_TORCH_INDEX": unreachable})):
        result = subprocess.run([sys.executable, "tasks.py", "setup", *options], cwd=checkout, capture_output=True,
                                text=True, env={**os.environ, **env}, timeout=120)
        assert result.returncode == 1
        error = result.stderr.strip().splitlines()
        assert len(error) == 1, result.stderr
        assert error[0].startswith(f"tasks.py: error: the PyTorch index {unreachable} cannot be reached (")
        assert "check the URL and your network" in error[0]
        assert not (checkout / ".venv").exists()


def test_an_unreachable_cpu_index_falls_back_to_pips_usual_index(monkeypatch, capsys):
    unreachable = closed_port_url()
    commands = []
    monkeypatch.setattr(tasks, "run", lambda *command, **kwargs: commands.append([str(c) for c in command]))
    index = tasks.torch_index(tasks.TorchChoice(unreachable, False, "CPU-only"))
    tasks.install_torch(Path("python"), index)

    assert index is None
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1
    assert said[0].startswith(f"{unreachable} cannot be reached (")
    assert "installing PyTorch from pip's usual index instead" in said[0] and "--torch-index URL" in said[0]
    assert commands == [["python", "-m", "pip", "install", tasks.torch_requirement()]]


def test_torch_already_installed_means_nothing_is_installed(tmp_path, monkeypatch, capsys):
    commands = []
    monkeypatch.setattr(tasks, "run", lambda *command, **kwargs: commands.append([str(c) for c in command]))
    monkeypatch.setattr(tasks, "VENV", tmp_path / ".venv")
    (tmp_path / ".venv").mkdir()
    monkeypatch.setattr(tasks, "PYTHON", Path(sys.executable))  # an environment that has torch
    args = SimpleNamespace(cpu=False, cuda=False, torch_index=closed_port_url())  # never even looked at
    tasks.setup(args)

    version = importlib.metadata.version("torch")
    assert capsys.readouterr().out.startswith(f"PyTorch {version} is already in .venv/: not installing another")
    assert commands == [[sys.executable, "-m", "pip", "install", "--quiet", "-e", ".[test]"]]
    assert (tmp_path / ".venv" / ".ssd-course-installed").exists()


def test_torch_requirement_is_the_packages():
    assert tasks.torch_requirement() == "torch>=2.1,<3"


def test_unknown_command_is_one_line():
    result = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "labb"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tasks.py: error: argument COMMAND: invalid choice: 'labb' (choose from 'lab', 'test', 'doctor', 'notebooks', "
        "'bench', 'mutate', 'student', 'site', 'dist', 'setup') (see tasks.py --help)"]


# ---------------------------------------------------------------------------------------------
# JupyterLab as root


@pytest.mark.parametrize(("uid", "extra", "added"), [
    (0, [], True),
    (1000, [], False),
    (0, ["--allow-root"], False),
    (0, ["--ServerApp.allow_root=True"], False),
])
def test_allow_root_is_added_as_root(uid, extra, added, monkeypatch, capsys):
    monkeypatch.setattr(os, "geteuid", lambda: uid, raising=False)
    command = cli.jupyter_lab_command("python", Path("/course"), "notebooks/00_overview.ipynb", extra)
    assert command[:5] == ["python", "-m", "jupyterlab", "--ServerApp.root_dir=/course", "notebooks/00_overview.ipynb"]
    assert (command.count("--allow-root") == 1) == (added or "--allow-root" in extra)
    said = capsys.readouterr().out
    assert said == ("running as root (as in most containers): passing --allow-root to JupyterLab\n" if added else "")


@pytest.mark.skipif(not IN_TASKS_VENV, reason="tasks.py lab uses .venv/, and these tests run elsewhere")
def test_tasks_lab_opens_the_overview_with_the_repository_as_root(tmp_path):
    lab = run_lab([sys.executable, str(ROOT / "tasks.py"), "lab"], tmp_path, cwd=tmp_path)
    assert lab.opened.endswith("/lab/tree/notebooks/00_overview.ipynb?token=TOKEN")
    assert {"tasks.py", "notebooks", "ssd_course"} <= set(lab.root)
    assert "00_overview.ipynb" in lab.notebooks
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    assert ("passing --allow-root to JupyterLab" in lab.output) == as_root
