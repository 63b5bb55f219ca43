"""Project commands that need nothing but Python >= 3.10 (no make, no conda).

    python3 tasks.py lab        set everything up, then open the course in JupyterLab
    python3 tasks.py test       set everything up, then run every test
    python3 tasks.py test --oldest   the same in .venv-oldest/, with every requirement at its declared minimum
    python3 tasks.py doctor     check the set-up: one line per check, with the fix
    python3 tasks.py notebooks  re-execute every notebook in place (the committed outputs), English and Chinese
    python3 tasks.py bench      run the speed benchmarks (loss, explorers) and print their tables
    python3 tasks.py mutate [MODULE ...]   mutation testing of the core modules: score and survivors per module (slow)
    python3 tasks.py student    write student copies of the notebooks (solutions removed) into student/ and student/zh/
    python3 tasks.py site       build the course website from the committed notebooks into build/site/
    python3 tasks.py dist       build the course's wheel and sdist into dist/
    python3 tasks.py setup      only set everything up

Setting up means: a virtual environment in .venv/ inside the repository with this package
installed editable with its test extra. It is created on first use and updated when
pyproject.toml changes.

PyTorch comes first, and CPU-first: on Linux without an NVIDIA GPU (nvidia-smi, or the
driver's /proc/driver/nvidia/gpus) it is the CPU-only build from
https://download.pytorch.org/whl/cpu (about 200 MB instead of several GB); with a GPU, or
with --cuda, the default build from pip's usual index; elsewhere (macOS, Windows) pip's
default build, which has no CUDA there. --torch-index URL, or the environment variable
SSD_COURSE_TORCH_INDEX, names another PyTorch index (a mirror): only torch comes from it,
everything else from pip's usual index. If the CPU index cannot be reached, a line says so
and pip's usual index is used instead; an index named with --torch-index or
SSD_COURSE_TORCH_INDEX that cannot be reached stops the set-up before anything is written.
If .venv/ already has PyTorch, none is installed.

Arguments that tasks.py does not know go on to the command: to pytest (test), JupyterLab
(lab: e.g. --no-browser --port=8889; as root, --allow-root is added and a line says so),
tools/execute_notebooks.py (notebooks), the benchmarks (bench), tools/mutate.py (mutate: the
modules, --jobs, --timeout, --list), tools/make_student_copies.py
(student), tools/build_site.py (site), python -m build (dist) and the checks (doctor).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import platform
import re
import subprocess
import sys
import urllib.error
import urllib.request
import venv
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_INDEX_VARIABLE = "SSD_COURSE_TORCH_INDEX"


class SetupError(Exception):
    """A set-up that cannot go on; the message is one line saying why and what to do."""


def run(*cmd: str | os.PathLike, **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kwargs)


def package_module(name: str) -> ModuleType:
    """Load ``ssd_course/<name>.py`` alone, with this Python, without importing the package.

    ``ssd_course.cli`` and ``ssd_course.doctor`` import nothing outside the standard library
    at their top, so tasks.py shares their code before ``.venv/`` (and PyTorch) exists.
    """
    spec = importlib.util.spec_from_file_location(f"_ssd_course_{name}", ROOT / "ssd_course" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# PyTorch: which build, from where


class TorchChoice(NamedTuple):
    """Where PyTorch comes from.

    Attributes:
        index (str | None): the index torch is installed from (``--index-url``); None: pip's usual index.
        named (bool): the learner named the index (``--torch-index``, ``SSD_COURSE_TORCH_INDEX``).
        reason (str): one line saying what was detected and chosen.
    """

    index: str | None
    named: bool
    reason: str


def torch_requirement() -> str:
    """The course's requirement on torch, from pyproject.toml, e.g. ``"torch>=2.1,<3"``."""
    found = re.search(r'"(torch\s*[<>=!~][^"]*)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return found[1].replace(" ", "") if found else "torch"


def choose_torch(cpu: bool, cuda: bool, torch_index: str | None, environ: dict[str, str], system: str,
                 gpu: tuple[bool, str]) -> TorchChoice:
    """Decide which PyTorch build to install, and from which index.

    Args:
        cpu (bool): ``--cpu`` was given: the CPU-only build even with a GPU.
        cuda (bool): ``--cuda`` was given: the default build even without a GPU.
        torch_index (str | None): ``--torch-index URL``.
        environ (dict[str, str]): the environment (for ``SSD_COURSE_TORCH_INDEX``).
        system (str): ``platform.system()``: ``"Linux"``, ``"Darwin"``, ``"Windows"``.
        gpu (tuple[bool, str]): ``ssd_course.doctor.nvidia_gpu()``: whether there is an NVIDIA
            GPU, and what was seen.

    Returns:
        TorchChoice: the index (None for pip's usual one), whether the learner named it, and
        the line that says why.

    Raises:
        SetupError: if the named index is not an http(s):// or file:// URL.
    """
    named = torch_index or environ.get(TORCH_INDEX_VARIABLE, "").strip() or None
    if named is not None:
        given = "--torch-index" if torch_index else TORCH_INDEX_VARIABLE
        if not re.match(r"(https?|file)://\S+$", named):
            raise SetupError(f"{given} must be the URL of a package index, such as {CPU_INDEX} or a mirror of it; "
                             f"got {named!r}")
        return TorchChoice(named.rstrip("/"), True, f"PyTorch from {named} ({given})")
    if cpu:
        return TorchChoice(CPU_INDEX, False, f"PyTorch's CPU-only build from {CPU_INDEX} (--cpu)")
    if cuda:
        return TorchChoice(None, False, "PyTorch's default build, with CUDA on Linux, from pip's usual index (--cuda)")
    has_gpu, seen = gpu
    if system != "Linux":
        return TorchChoice(None, False, f"{system}: PyTorch's default build from pip's usual index "
                                        "(it has no CUDA there, so there is nothing to leave out)")
    if has_gpu:
        return TorchChoice(None, False, f"{seen}: installing PyTorch's default build, with CUDA, from pip's usual "
                                        "index (--cpu for the CPU-only build)")
    return TorchChoice(CPU_INDEX, False, f"{seen}: installing PyTorch's CPU-only build from {CPU_INDEX} "
                                         "(--cuda for the default build, with CUDA, of several GB)")


def index_problem(index: str, timeout: float = 15.0) -> str | None:
    """Why ``index`` cannot serve torch (it cannot be reached, or has no torch), or None if it can."""
    url = f"{index.rstrip('/')}/torch/"
    if url.startswith("file://"):
        return None if Path(urllib.request.url2pathname(url[len("file://"):])).is_dir() else f"no folder {url}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read(1)
    except urllib.error.HTTPError as error:
        return f"{url} answers HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return str(getattr(error, "reason", error))
    return None


def torch_index(choice: TorchChoice) -> str | None:
    """The index to install torch from: ``choice.index`` if it can serve torch.

    When the CPU index cannot, a line says so and pip's usual index is used instead.

    Raises:
        SetupError: when an index the learner named cannot serve torch.
    """
    if choice.index is None:
        return None
    problem = index_problem(choice.index)
    if problem is None:
        return choice.index
    if choice.named:
        raise SetupError(f"the PyTorch index {choice.index} cannot be reached ({problem}); check the URL and your "
                         f"network, or leave out --torch-index / {TORCH_INDEX_VARIABLE} to use {CPU_INDEX}")
    print(f"{choice.index} cannot be reached ({problem}): installing PyTorch from pip's usual index instead, which "
          f"on Linux is the CUDA build of several GB; behind a mirror, stop (Ctrl-C) and run again with "
          f"--torch-index URL or {TORCH_INDEX_VARIABLE}=URL", flush=True)
    return None


def install_torch(python: Path, index: str | None) -> None:
    """Install torch into the environment of ``python``.

    From a PyTorch index only torch itself comes (``--no-deps``): its dependencies come with
    the package's from pip's usual index, so a mirror of the PyTorch index need hold torch alone.
    """
    command = [python, "-m", "pip", "install", torch_requirement()]
    if index is not None:
        command += ["--index-url", index, "--no-deps"]
    run(*command)


def installed_torch(python: Path) -> str | None:
    """The version of torch installed in the environment of ``python``, or None."""
    result = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('torch'))"],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


# ---------------------------------------------------------------------------------------------
# The commands


def setup(args: argparse.Namespace) -> None:
    if sys.version_info < (3, 10):
        raise SetupError(f"Python >= 3.10 is needed; this is {sys.version.split()[0]}")
    stamp = VENV / ".ssd-course-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    torch_options = args.cpu or args.cuda or args.torch_index
    if not torch_options and stamp.exists() and stamp.read_text() == wanted:
        return
    version = installed_torch(PYTHON) if PYTHON.exists() else None
    if version is not None:
        if torch_options or not stamp.exists():
            print(f"PyTorch {version} is already in {VENV.name}/: not installing another (remove {VENV.name}/ to "
                  "choose another build)", flush=True)
    else:
        choice = choose_torch(args.cpu, args.cuda, args.torch_index, dict(os.environ), platform.system(),
                              package_module("doctor").nvidia_gpu())
        print(choice.reason, flush=True)
        index = torch_index(choice)  # raises, before anything is written, when a named index cannot be reached
        if not PYTHON.exists():
            print(f"creating the virtual environment {VENV.name}/", flush=True)
            venv.EnvBuilder(with_pip=True).create(VENV)
        install_torch(PYTHON, index)
    if stamp.exists() and stamp.read_text() == wanted:
        return
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[test]")
    stamp.write_text(wanted)


OLDEST_VENV = ROOT / ".venv-oldest"


def minimum_versions() -> list[str]:
    """``name==X`` for every requirement ``name>=X`` of pyproject.toml (the package's and its test extra's)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: pip carries the same parser
        from pip._vendor import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = []
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        name, floor = re.match(r"([A-Za-z0-9_.\-]+).*?>=\s*([0-9][^,;\s]*)", requirement).groups()
        pins.append(f"{name}=={floor}")
    return pins


def setup_oldest(cpu: bool = False) -> Path:
    """A second environment, .venv-oldest/, with every requirement at its declared minimum; its Python."""
    python = OLDEST_VENV / PYTHON.relative_to(VENV)
    if not python.exists():
        print(f"creating the virtual environment {OLDEST_VENV.relative_to(ROOT)}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(OLDEST_VENV)
    pins = minimum_versions()
    stamp = OLDEST_VENV / ".ssd-course-installed"
    if stamp.exists() and stamp.read_text() == "\n".join(pins):
        return python
    constraints = OLDEST_VENV / "minimum-versions.txt"
    constraints.write_text("\n".join(pins) + "\n")
    if cpu:
        torch = next(pin for pin in pins if pin.startswith("torch=="))
        run(python, "-m", "pip", "install", "--quiet", torch, "--index-url", CPU_INDEX)
    run(python, "-m", "pip", "install", "--quiet", "-c", constraints, "-e", ".[test]")
    stamp.write_text("\n".join(pins))
    return python


def notebook_env() -> dict[str, str]:
    """This environment without MPLBACKEND: notebook kernels must draw inline, as when executed."""
    return {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}


def lab(args: argparse.Namespace) -> None:
    setup(args)
    cli = package_module("cli")
    cli.open_lab(PYTHON, ROOT, cli.FIRST_NOTEBOOK, args.extra)


def test(args: argparse.Namespace) -> None:
    if args.oldest:
        python = setup_oldest(args.cpu)
    else:
        setup(args)
        python = PYTHON
    env = notebook_env()
    notebooks = sorted(str(p.relative_to(ROOT)) for folder in ("notebooks", "notebooks/zh")
                       for p in (ROOT / folder).glob("[0-9]*.ipynb"))  # the English and the Chinese edition
    nbval = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "notebooks/sanitize.cfg", *notebooks] \
        if notebooks else []
    run(python, "-m", "pytest", "tests", "ssd_course", *nbval, *args.extra, env=env)


def doctor(args: argparse.Namespace) -> None:
    """The checks of ``ssd-course doctor``, in .venv/; nothing is installed."""
    if not PYTHON.exists():
        print(f"FAIL  environment: no {VENV.name}/ yet; fix: python3 tasks.py setup", flush=True)
        sys.exit(1)
    sys.exit(subprocess.run([str(PYTHON), "-m", "ssd_course.doctor", *args.extra], cwd=ROOT).returncode)


def notebooks(args: argparse.Namespace) -> None:
    setup(args)
    run(PYTHON, str(ROOT / "tools" / "execute_notebooks.py"), *args.extra, env=notebook_env())


BENCHMARKS = ("loss_speed.py", "widget_update.py")  # the README's tables; the detector scripts run on their own


def bench(args: argparse.Namespace) -> None:
    setup(args)
    for script in BENCHMARKS:
        run(PYTHON, ROOT / "benchmarks" / script, *args.extra)


def mutate(args: argparse.Namespace) -> None:
    """Mutation testing (tools/mutate.py): not part of ``test``, it runs the tests once per mutant."""
    setup(args)
    run(PYTHON, str(ROOT / "tools" / "mutate.py"), *args.extra)


def student(args: argparse.Namespace) -> None:
    setup(args)
    run(PYTHON, str(ROOT / "tools" / "make_student_copies.py"), *args.extra)


def site(args: argparse.Namespace) -> None:
    setup(args)
    run(PYTHON, str(ROOT / "tools" / "build_site.py"), *args.extra)


def dist(args: argparse.Namespace) -> None:
    """Build the wheel and sdist (the wheel from the sdist, as an installer would) into dist/."""
    setup(args)
    run(PYTHON, "-m", "build", "--outdir", ROOT / "dist", *args.extra, ROOT)


COMMANDS = {"lab": lab, "test": test, "doctor": doctor, "notebooks": notebooks, "bench": bench, "mutate": mutate,
            "student": student, "site": site, "dist": dist, "setup": setup}


def main(argv: list[str] | None = None) -> None:
    parser = package_module("cli").OneLineParser(
        prog="tasks.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=COMMANDS, metavar="COMMAND", help=", ".join(COMMANDS))
    build = parser.add_mutually_exclusive_group()
    build.add_argument("--cpu", action="store_true", help="install PyTorch's CPU-only build, even with a GPU")
    build.add_argument("--cuda", action="store_true", help="install PyTorch's default build (CUDA on Linux), even "
                                                           "without a GPU")
    parser.add_argument("--torch-index", metavar="URL", help=f"install torch from this index (a mirror); also "
                                                             f"${TORCH_INDEX_VARIABLE}")
    parser.add_argument("--oldest", action="store_true",
                        help="test: in .venv-oldest/, with the minimum versions that pyproject.toml declares")
    args, extra = parser.parse_known_args(argv)
    args.extra = extra
    try:
        COMMANDS[args.command](args)
    except SetupError as error:
        sys.exit(f"tasks.py: error: {error}")
    except subprocess.CalledProcessError as error:  # the command has said why
        print(f"tasks.py: {' '.join(str(c) for c in error.cmd[:5])} ... stopped with exit code {error.returncode}",
              file=sys.stderr)
        sys.exit(error.returncode)


if __name__ == "__main__":
    main()
