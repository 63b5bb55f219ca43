"""Check that the course is set up: ``ssd-course doctor`` and ``python3 tasks.py doctor``.

Each check prints one line, ``ok``, ``warn`` (the course runs, but something is missing or
wasteful), ``FAIL`` (something will not work) or ``skip`` (a check that needs something
already reported missing), and says how to fix what is wrong:

1. the Python version;
2. PyTorch: its version and build (CPU-only, CUDA or ROCm);
3. whether CUDA works, and whether the build suits the machine (an NVIDIA GPU or not);
4. ipywidgets and its JupyterLab front-end, which the interactive explorers need;
5. a CJK font for matplotlib, for Chinese terms in figures;
6. the course's files: notebooks, glossary, photographs, checkpoint;
7. the notebooks' outputs are current with the package: every ``show.source(...)`` output
   in the notebooks equals what the package's code shows now.

The exit code is 1 when a check fails, else 0. ``python -m ssd_course.doctor [DIR]`` runs
the same checks.

This module imports nothing outside the standard library at its top: it must run where
PyTorch is broken, and ``tasks.py`` loads it with the system's Python before ``.venv/``
exists (for :func:`nvidia_gpu`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from ssd_course.i18n import CJK_SAMPLE, FONT_PACKAGE, cjk_font, font_covering, font_status

__all__ = [
    "CJK_SAMPLE",
    "Check",
    "cjk_font",
    "font_covering",
    "nvidia_gpu",
    "run_checks",
    "show_source_outputs",
    "main",
]

MIN_PYTHON = (3, 10)
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
GET_STARTED = "https://pytorch.org/get-started/locally/"
WSL_NVIDIA_SMI = Path("/usr/lib/wsl/lib/nvidia-smi")
PROC_NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")

class Check(NamedTuple):
    """The result of one check.

    Attributes:
        status (str): ``"ok"``, ``"warn"``, ``"FAIL"`` or ``"skip"``.
        name (str): what was checked, e.g. ``"PyTorch"``.
        message (str): what was found.
        fix (str): what to do about it; empty when nothing needs doing.
    """

    status: str
    name: str
    message: str
    fix: str = ""

    def line(self) -> str:
        """The one line printed for this check."""
        text = f"{self.status:<5} {self.name}: {self.message}"
        return f"{text}; fix: {self.fix}" if self.fix else text


def _fix(in_checkout: bool, checkout: str, installed: str) -> str:
    return checkout if in_checkout else installed


# ---------------------------------------------------------------------------------------------
# The machine


def nvidia_gpu(smi: str | Path | None = None, proc_gpus: Path = PROC_NVIDIA_GPUS) -> tuple[bool, str]:
    """Whether this machine has an NVIDIA GPU, and how that was found out.

    ``nvidia-smi -L`` (installed with the NVIDIA driver: on the PATH, or in WSL's
    ``/usr/lib/wsl/lib``) lists the GPUs the driver sees; where it is missing, a Linux driver
    still lists them in ``/proc/driver/nvidia/gpus``. A container without a GPU passed
    through has neither, even on a machine with one.

    Args:
        smi (str | Path | None): the ``nvidia-smi`` to run; default: found as above.
        proc_gpus (Path): the driver's folder of GPUs.

    Returns:
        (bool, str): the answer, and a phrase saying what was seen, for one line of output.
    """
    if smi is None:
        smi = shutil.which("nvidia-smi") or (WSL_NVIDIA_SMI if WSL_NVIDIA_SMI.is_file() else None)
    seen = "no nvidia-smi"
    if smi is not None:
        try:
            result = subprocess.run([str(smi), "-L"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            seen = f"nvidia-smi could not run ({error})"
        else:
            gpus = [line.split(" (UUID")[0].split(": ", 1)[-1] for line in result.stdout.splitlines()
                    if line.startswith("GPU ")]
            if result.returncode == 0 and gpus:
                return True, f"nvidia-smi lists {_count(len(gpus), 'NVIDIA GPU')} ({gpus[0]})"
            seen = "nvidia-smi lists no GPU"
    try:
        entries = [entry.name for entry in proc_gpus.iterdir()]
    except OSError:
        entries = []
    if entries:
        return True, f"the NVIDIA driver lists {_count(len(entries), 'GPU')} in {proc_gpus}"
    return False, f"no NVIDIA GPU found ({seen}, none in {proc_gpus})"


def _shown(path: Path) -> str:
    """A path for a line of output, with the home folder written ``~``."""
    try:
        return str(Path("~") / Path(path).relative_to(Path.home()))
    except (ValueError, RuntimeError):  # not under the home folder, or no home folder
        return str(path)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# ---------------------------------------------------------------------------------------------
# Python, PyTorch, CUDA


def check_python(version: Sequence[int] = tuple(sys.version_info[:3])) -> Check:
    shown = ".".join(str(v) for v in version)
    wanted = ".".join(str(v) for v in MIN_PYTHON)
    if tuple(version[:2]) >= MIN_PYTHON:
        return Check("ok", "Python", f"{shown} ({wanted} or newer needed)")
    return Check("FAIL", "Python", f"{shown} is too old: the course needs {wanted} or newer",
                 f"install Python {wanted} or newer (python.org, or your system's packages) and set up again")


def _torch_requirement() -> str | None:
    """The course's requirement on torch, e.g. ``"torch<3,>=2.1"``, from the installed metadata."""
    try:
        requirements = importlib.metadata.requires("ssd-course") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    return next((r for r in requirements if r.split(";")[0].replace(" ", "").startswith("torch")
                 and not r.startswith("torchvision")), None)


def check_torch(in_checkout: bool) -> tuple[Check, Any]:
    """PyTorch's version and build; also returns the module (None when it cannot be imported)."""
    reinstall = _fix(in_checkout, "remove .venv/ and run python3 tasks.py setup (add --cuda for the CUDA build)",
                     f"pip install --force-reinstall torch --index-url {CPU_INDEX} (the CPU-only build; "
                     f"for CUDA see {GET_STARTED})")
    try:
        import torch
    except Exception as error:  # ImportError, or OSError when a CUDA library is missing
        return Check("FAIL", "PyTorch", f"cannot be imported ({type(error).__name__}: {error})", reinstall), None
    if torch.version.cuda:
        build = f"CUDA {torch.version.cuda} build"
    elif getattr(torch.version, "hip", None):
        build = f"ROCm {torch.version.hip} build"
    else:
        build = "CPU-only build"
    requirement = _torch_requirement()
    if requirement is not None:
        try:
            from packaging.requirements import Requirement
            from packaging.version import Version
        except ImportError:
            pass
        else:
            specifier = Requirement(requirement.split(";")[0]).specifier
            wanted = ",".join(sorted((str(spec) for spec in specifier), key=lambda spec: not spec.startswith(">")))
            if not specifier.contains(Version(torch.__version__), prereleases=True):
                return Check("FAIL", "PyTorch", f"{torch.__version__} ({build}); the course needs torch{wanted}",
                             reinstall), torch
            return Check("ok", "PyTorch", f"{torch.__version__}, {build} (the course needs torch{wanted})"), torch
    return Check("ok", "PyTorch", f"{torch.__version__}, {build}"), torch


def check_cuda(torch: Any, gpu: tuple[bool, str], in_checkout: bool) -> Check:
    """Whether CUDA works, and whether the build suits the machine."""
    if torch is None:
        return Check("skip", "CUDA", "not checked: PyTorch cannot be imported")
    has_gpu, seen = gpu
    if torch.cuda.is_available():
        try:
            values = torch.arange(4.0, device="cuda")
            result = float((values * values).sum().item())  # 0 + 1 + 4 + 9
            name = torch.cuda.get_device_name(0)
        except Exception as error:  # a driver or library problem shows up here
            return Check("FAIL", "CUDA", f"available, but a computation on the GPU failed ({error})",
                         f"update the NVIDIA driver, or install the PyTorch build for its CUDA version ({GET_STARTED}); "
                         "the course also runs on the CPU")
        if result != 14.0:
            return Check("FAIL", "CUDA", f"a computation on {name} gave {result} instead of 14",
                         f"update the NVIDIA driver ({GET_STARTED})")
        return Check("ok", "CUDA", f"works: a computation on {name} gave the right result "
                                   f"({_count(torch.cuda.device_count(), 'GPU')})")
    if torch.version.cuda and has_gpu:
        return Check("warn", "CUDA", f"this CUDA {torch.version.cuda} build cannot use the GPU ({seen}); "
                                     "the course runs on the CPU",
                     f"update the NVIDIA driver, or install the PyTorch build for its CUDA version ({GET_STARTED})")
    if torch.version.cuda:
        return Check("warn", "CUDA", f"not usable: {seen}; this CUDA build of PyTorch takes several GB for nothing "
                                     "(the course runs on the CPU)",
                     _fix(in_checkout, "to free the space, remove .venv/ and run python3 tasks.py setup (the CPU-only "
                                       "build is its default without a GPU)",
                          f"to free the space: pip install --force-reinstall torch --index-url {CPU_INDEX}"))
    if has_gpu:
        return Check("warn", "CUDA", f"{seen}, but PyTorch is the CPU-only build; the course runs on the CPU",
                     _fix(in_checkout, "to use the GPU, remove .venv/ and run python3 tasks.py setup --cuda",
                          f"to use the GPU, install a CUDA build of PyTorch ({GET_STARTED})"))
    return Check("ok", "CUDA", f"not used: {seen}; the course runs on the CPU")


# ---------------------------------------------------------------------------------------------
# JupyterLab and matplotlib


def widgets_frontend() -> Path | None:
    """The ``package.json`` of the ipywidgets front-end JupyterLab loads, or None."""
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return None
    for folder in jupyter_path("labextensions"):
        found = Path(folder) / "@jupyter-widgets" / "jupyterlab-manager" / "package.json"
        if found.is_file():
            return found
    return None


def check_widgets(in_checkout: bool) -> Check:
    install = _fix(in_checkout, ".venv/bin/python -m pip install 'ipywidgets>=8' jupyterlab_widgets, then restart "
                                "JupyterLab", "pip install 'ipywidgets>=8' jupyterlab_widgets, then restart JupyterLab")
    try:
        version = importlib.metadata.version("ipywidgets")
    except importlib.metadata.PackageNotFoundError:
        return Check("FAIL", "widgets", "ipywidgets is not installed: the interactive explorers cannot run", install)
    if int(version.split(".")[0]) < 8:
        return Check("FAIL", "widgets", f"ipywidgets {version} is too old: the explorers need 8 or newer", install)
    frontend = widgets_frontend()
    if frontend is None:
        return Check("FAIL", "widgets", f"ipywidgets {version} is installed but not its JupyterLab front-end: the "
                                        "explorers would show a line of text instead of sliders", install)
    try:
        manager = json.loads(frontend.read_text(encoding="utf-8")).get("version", "?")
    except (OSError, ValueError):
        manager = "?"
    return Check("ok", "widgets", f"ipywidgets {version} with its JupyterLab front-end "
                                  f"(@jupyter-widgets/jupyterlab-manager {manager})")


def check_cjk_font() -> Check:
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        return Check("FAIL", "CJK font", f"matplotlib cannot be imported ({error})", "pip install 'matplotlib>=3.7'")
    if cjk_font() is not None:
        return Check("ok", "CJK font", font_status())
    return Check("warn", "CJK font", "no font with Chinese characters for matplotlib: the Chinese notebooks' figures "
                                     "keep English labels", f"python -m pip install {FONT_PACKAGE}")


# ---------------------------------------------------------------------------------------------
# The course's files and the notebooks' outputs


def check_course_files() -> Check:
    from ssd_course import assets

    try:
        root = assets.course_root()
    except FileNotFoundError as error:
        return Check("FAIL", "course files", str(error).split(";")[0], str(error).split("; ", 1)[-1])
    in_checkout = root == assets.CHECKOUT
    missing = []
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    translated = sorted((root / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        missing.append("notebooks/NN_*.ipynb")
    needed = ["notebooks/GLOSSARY.md", "images/annotations.json", "images/CREDITS.md",
              "checkpoints/tiny_detector.pt", "tools/make_student_copies.py"]
    missing += [name for name in needed if not (root / name).is_file()]
    photos = 0
    if (root / "images" / "annotations.json").is_file():
        try:
            listed = [image["file"] for image in
                      json.loads((root / "images" / "annotations.json").read_text(encoding="utf-8"))["images"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            missing.append(f"images/annotations.json (unreadable: {error})")
        else:
            photos = len(listed)
            missing += [f"images/{name}" for name in listed if not (root / "images" / name).is_file()]
    where = f"the checkout at {_shown(root)}" if in_checkout else f"the installed package, {_shown(root)}"
    if missing:
        return Check("FAIL", "course files", f"missing from {where}: {', '.join(missing)}",
                     _fix(in_checkout, f"git status; git checkout -- {' '.join(missing)}",
                          "reinstall the package (pip install --force-reinstall, from the wheel or source you used)"))
    zh = f" (and {len(translated)} in Chinese)" if translated else ""
    return Check("ok", "course files", f"{_count(len(notebooks), 'notebook')}{zh}, the glossary, "
                                       f"{_count(photos, 'photograph')} with credits and annotations, the trained "
                                       f"checkpoint, in {where}")


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _python(source: str) -> str:
    """A cell's source without IPython's magics and shell lines, which do not parse."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def _ssd_course_names(tree: ast.AST) -> dict[str, str]:
    """The names a cell binds to ssd_course and its modules: ``{"loss": "ssd_course.loss", ...}``."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and \
                (node.module == "ssd_course" or node.module.startswith("ssd_course.")):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "ssd_course" or alias.name.startswith("ssd_course."):
                    if alias.asname:
                        names[alias.asname] = alias.name
                    else:
                        names["ssd_course"] = "ssd_course"
    return names


def _resolve(node: ast.AST, names: dict[str, str]) -> Any:
    """The object an expression such as ``loss.multibox_loss`` names, with the notebook's imports."""
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise LookupError(node.id)
        dotted = names[node.id]
        try:
            return importlib.import_module(dotted)
        except ModuleNotFoundError:
            module, _, attribute = dotted.rpartition(".")
            return getattr(importlib.import_module(module), attribute)
    if isinstance(node, ast.Attribute):
        return getattr(_resolve(node.value, names), node.attr)
    raise LookupError(ast.dump(node))


def _outputs_text(cell: dict) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        text = output.get("data", {}).get("text/plain")
        if text is not None:
            texts.append("".join(text) if isinstance(text, list) else text)
    return texts


def show_source_outputs(notebook: Path) -> tuple[int, list[str]]:
    """Compare every ``show.source(...)`` output of a notebook with what the package shows now.

    The calls are read from the cells (not run): each argument must be a name the notebook
    imports from ``ssd_course`` (``loss.multibox_loss``), the keywords literals. A cell that
    has no output (never run, or a student copy) is not compared.

    Args:
        notebook (Path): an ``.ipynb`` file.

    Returns:
        (int, list[str]): how many outputs were compared, and one line for each that differs
        from the package's code (or whose call fails with it now).
    """
    from ssd_course import show

    cells = [cell for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
             if cell.get("cell_type") == "code"]
    trees = []
    names: dict[str, str] = {}
    for cell in cells:
        try:
            tree = ast.parse(_python(_cell_source(cell)))
        except SyntaxError:
            tree = None
        trees.append(tree)
        if tree is not None:
            names.update(_ssd_course_names(tree))
    compared, stale = 0, []
    for index, (cell, tree) in enumerate(zip(cells, trees)):
        outputs = _outputs_text(cell)
        if tree is None or not outputs:
            continue
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "source"
                    and isinstance(call.func.value, ast.Name) and names.get(call.func.value.id) == "ssd_course.show"):
                continue
            shown = ast.get_source_segment(_python(_cell_source(cell)), call) or "show.source(...)"
            try:
                objects = [_resolve(argument, names) for argument in call.args]
                keywords = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
            except (LookupError, ValueError, ImportError):
                continue  # an argument the notebook computes: not comparable without running it
            except AttributeError as error:
                stale.append(f"{notebook.name}, code cell {index + 1}: {shown} names something the package no "
                             f"longer has ({error})")
                continue
            try:
                expected = repr(show.source(*objects, **keywords))
            except (ValueError, TypeError, OSError) as error:
                stale.append(f"{notebook.name}, code cell {index + 1}: {shown} fails with the package now ({error})")
                continue
            compared += 1
            if expected not in outputs:
                stale.append(f"{notebook.name}, code cell {index + 1}: {shown} shows older code than the package")
    return compared, stale


def course_notebooks(folder: Path) -> list[Path]:
    """The numbered notebooks of a course folder, with their Chinese versions in ``zh/``."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb")) + sorted(folder.glob("zh/[0-9][0-9]_*.ipynb"))


def check_notebook_outputs(folder: Path, in_checkout: bool, copy: bool = False) -> Check:
    """Whether the ``show.source`` outputs of the notebooks in ``folder`` are current with the package.

    Args:
        folder (Path): a ``notebooks/`` folder.
        in_checkout (bool): the course's own notebooks in a checkout (the fix is to regenerate them).
        copy (bool): a learner's copy written by ``ssd-course lab`` (a warning, not a failure).
    """
    name = f"notebook outputs ({_shown(folder)})" if copy else "notebook outputs"
    notebooks = course_notebooks(folder)
    if not notebooks:
        return Check("FAIL" if not copy else "warn", name, f"no notebook in {_shown(folder)}")
    compared, stale = 0, []
    for notebook in notebooks:
        found, problems = show_source_outputs(notebook)
        compared += found
        stale += problems
    if stale:
        more = f" (and {len(stale) - 2} more)" if len(stale) > 2 else ""
        if copy:
            fix = "run those notebooks again (Run > Run All Cells) and save them"
        else:
            fix = _fix(in_checkout, "python3 tasks.py notebooks (re-executes the notebooks; their committed outputs "
                                    "are made only this way)", "reinstall the package; its notebooks do not match it")
        return Check("warn" if copy else "FAIL", name, "; ".join(stale[:2]) + more, fix)
    return Check("ok", name, f"the {_count(compared, 'show.source output')} of "
                             f"{_count(len(notebooks), 'notebook')} match the package's code")


# ---------------------------------------------------------------------------------------------
# All of it


def run_checks(copy: Path | None = None) -> list[Check]:
    """Run every check, in order.

    Args:
        copy (Path | None): a course folder written by ``ssd-course lab`` whose notebooks are
            checked too.

    Returns:
        list[Check]: one result per check.
    """
    from ssd_course import assets

    try:
        in_checkout = assets.is_checkout()
    except FileNotFoundError:
        in_checkout = False
    checks = [check_python()]
    torch_check, torch = check_torch(in_checkout)
    checks += [torch_check, check_cuda(torch, nvidia_gpu(), in_checkout), check_widgets(in_checkout),
               check_cjk_font()]
    files = check_course_files()
    checks.append(files)
    if torch is None:
        checks.append(Check("skip", "notebook outputs", "not checked: PyTorch cannot be imported"))
    elif files.status == "FAIL":
        checks.append(Check("skip", "notebook outputs", "not checked: the course's files are missing"))
    else:
        checks.append(check_notebook_outputs(assets.asset_path("notebooks"), in_checkout))
    if copy is not None:
        folder = copy / "notebooks" if (copy / "notebooks").is_dir() else copy
        if torch is not None:
            checks.append(check_notebook_outputs(folder, in_checkout, copy=True))
    return checks


def report(checks: Sequence[Check], out: TextIO | None = None) -> int:
    """Print one line per check and a summary to ``out`` (default stdout); return the exit code (1 if a check failed)."""
    out = sys.stdout if out is None else out
    for check in checks:
        print(check.line(), file=out)
    counts = {status: sum(check.status == status for check in checks) for status in ("ok", "warn", "FAIL", "skip")}
    if counts["FAIL"]:
        verdict = "not ready"
    elif counts["warn"]:
        verdict = "the course runs"
    else:
        verdict = "all is well"
    skipped = f", {counts['skip']} skipped" if counts["skip"] else ""
    print(f"{verdict}: {counts['ok']} ok, {_count(counts['warn'], 'warning')}, {_count(counts['FAIL'], 'failure')}"
          f"{skipped}", file=out)
    return 1 if counts["FAIL"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ssd_course.doctor [DIR]``: run the checks, DIR a course copy to check too."""
    argv = list(sys.argv[1:] if argv is None else argv)
    copy = Path(argv[0]) if argv else None
    if copy is not None and not copy.is_dir():
        print(f"doctor: error: DIR must be a course folder written by `ssd-course lab`; got {str(copy)!r}, which is "
              f"{'a file' if copy.exists() else 'not there'}", file=sys.stderr)
        return 2
    return report(run_checks(copy))


if __name__ == "__main__":
    sys.exit(main())
