"""Project commands that need nothing but Python >= 3.10 (no make, no conda).

    python3 tasks.py lab        set everything up, then open the course in JupyterLab
    python3 tasks.py test       set everything up, then run every test
    python3 tasks.py test --oldest   the same in .venv-oldest/, with every requirement at its declared minimum
    python3 tasks.py notebooks  re-execute every notebook in place (the committed outputs)
    python3 tasks.py bench      run the speed benchmarks (loss, explorers) and print their tables
    python3 tasks.py student    write student copies of the notebooks (solutions removed) into student/

Setting up means: a virtual environment in ``.venv/`` inside the repository with this
package installed editable with its test extra. It is created on first use and updated
when ``pyproject.toml`` changes. ``--cpu`` installs PyTorch's CPU-only build first (a
download of ~200 MB instead of several GB on Linux).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def run(*cmd: str | os.PathLike, **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kwargs)


def setup(cpu: bool = False) -> None:
    if sys.version_info < (3, 10):
        sys.exit(f"Python >= 3.10 is needed; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating the virtual environment {VENV.relative_to(ROOT)}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".ssd-course-installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if cpu:
        run(PYTHON, "-m", "pip", "install", "torch", "--index-url", CPU_INDEX)
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
    setup(args.cpu)
    os.execv(str(PYTHON), [str(PYTHON), "-m", "jupyter", "lab", "notebooks/00_overview.ipynb", *args.extra])


def test(args: argparse.Namespace) -> None:
    if args.oldest:
        python = setup_oldest(args.cpu)
    else:
        setup(args.cpu)
        python = PYTHON
    env = notebook_env()
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    nbval = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "notebooks/sanitize.cfg", *notebooks] \
        if notebooks else []
    run(python, "-m", "pytest", "tests", "ssd_course", *nbval, *args.extra, env=env)


def notebooks(args: argparse.Namespace) -> None:
    setup(args.cpu)
    run(PYTHON, str(ROOT / "tools" / "execute_notebooks.py"), *args.extra, env=notebook_env())


BENCHMARKS = ("loss_speed.py", "widget_update.py")  # the README's tables; the detector scripts run on their own


def bench(args: argparse.Namespace) -> None:
    setup(args.cpu)
    for script in BENCHMARKS:
        run(PYTHON, ROOT / "benchmarks" / script, *args.extra)


def student(args: argparse.Namespace) -> None:
    setup(args.cpu)
    run(PYTHON, str(ROOT / "tools" / "make_student_copies.py"), *args.extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["lab", "test", "notebooks", "bench", "student", "setup"])
    parser.add_argument("--cpu", action="store_true", help="install the CPU-only build of PyTorch")
    parser.add_argument("--oldest", action="store_true",
                        help="test: in .venv-oldest/, with the minimum versions that pyproject.toml declares")
    args, extra = parser.parse_known_args()
    args.extra = extra
    if args.command == "setup":
        setup(args.cpu)
    else:
        globals()[args.command](args)


if __name__ == "__main__":
    main()
