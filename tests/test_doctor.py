"""``ssd-course doctor`` / ``python3 tasks.py doctor``: one line per check, with the fix when wrong.

Checked on this healthy environment, and on broken ones: a PyTorch that cannot be imported
(a stand-in ``torch`` whose import fails as a missing CUDA library does), a PyTorch too old,
every mismatch of build and machine, no widgets front-end, no CJK font, missing course
files, stale ``show.source`` outputs, no ``.venv/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from ssd_course import assets, doctor

ROOT = Path(__file__).resolve().parent.parent
IN_TASKS_VENV = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
NO_GPU = (False, "no NVIDIA GPU found (no nvidia-smi, none in /proc/driver/nvidia/gpus)")
A_GPU = (True, "nvidia-smi lists 1 NVIDIA GPU (NVIDIA H200)")
COURSE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_a_healthy_environment(capsys):
    checks = doctor.run_checks()
    assert [check.name for check in checks] == ["Python", "PyTorch", "CUDA", "widgets", "CJK font", "course files",
                                                "notebook outputs"]
    for check in checks:
        allowed = ("ok", "warn") if check.name in ("CUDA", "CJK font") else ("ok",)
        assert check.status in allowed, check.line()
        assert (check.fix != "") == (check.status != "ok"), check.line()
    assert doctor.report(checks) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:-1] == [check.line() for check in checks]
    assert lines[-1].startswith(("all is well: 7 ok", "the course runs: "))
    files = checks[5].message
    assert files.startswith(f"{len(COURSE)} notebooks") and "4 photographs with credits and annotations" in files


@pytest.mark.skipif(not IN_TASKS_VENV, reason="tasks.py doctor uses .venv/, and these tests run elsewhere")
def test_tasks_doctor_runs_the_checks_in_the_venv():
    result = subprocess.run([sys.executable, str(ROOT / "tasks.py"), "doctor"], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 8
    assert lines[0].startswith("ok    Python: ") and lines[6].startswith("ok    notebook outputs: the ")


def test_tasks_doctor_without_a_venv(tmp_path):
    (tmp_path / "ssd_course").mkdir()
    for name in ("tasks.py", "pyproject.toml", "ssd_course/cli.py", "ssd_course/doctor.py"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    result = subprocess.run([sys.executable, "tasks.py", "doctor"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == "FAIL  environment: no .venv/ yet; fix: python3 tasks.py setup\n"
    assert not (tmp_path / ".venv").exists()


def test_a_pytorch_that_cannot_be_imported(tmp_path):
    fake = tmp_path / "broken" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        'raise OSError("libcudnn.so.9: cannot open shared object file: No such file or directory")\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "broken"), str(ROOT)]))
    result = subprocess.run([sys.executable, "-m", "ssd_course", "doctor"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("FAIL  PyTorch: cannot be imported (OSError: libcudnn.so.9: cannot open shared object")
    assert "; fix: remove .venv/ and run python3 tasks.py setup" in lines[1]
    assert lines[2] == "skip  CUDA: not checked: PyTorch cannot be imported"
    assert lines[5].startswith(f"ok    course files: {len(COURSE)} notebooks")
    assert lines[6] == "skip  notebook outputs: not checked: PyTorch cannot be imported"
    assert lines[-1].startswith("not ready: ") and lines[-1].endswith("1 failure, 2 skipped")


def test_a_pytorch_too_old(monkeypatch):
    old = SimpleNamespace(__version__="1.13.1", version=SimpleNamespace(cuda=None))
    monkeypatch.setitem(sys.modules, "torch", old)
    check, module = doctor.check_torch(in_checkout=False)
    assert module is old
    assert check.status == "FAIL"
    assert check.message == "1.13.1 (CPU-only build); the course needs torch>=2.1,<3"
    assert "pip install --force-reinstall torch --index-url https://download.pytorch.org/whl/cpu" in check.fix


def test_python_too_old():
    check = doctor.check_python((3, 9, 18))
    assert check.line() == ("FAIL  Python: 3.9.18 is too old: the course needs 3.10 or newer; fix: install Python "
                            "3.10 or newer (python.org, or your system's packages) and set up again")


class FakeCuda:
    """Enough of ``torch`` for :func:`doctor.check_cuda`: the build, availability, a computation that fails."""

    def __init__(self, build: str | None, available: bool):
        self.version = SimpleNamespace(cuda=build)
        self.cuda = SimpleNamespace(is_available=lambda: available, get_device_name=lambda index: "NVIDIA H200",
                                    device_count=lambda: 1)

    def arange(self, end, device):
        raise RuntimeError("CUDA error: no kernel image is available for execution on the device")


@pytest.mark.parametrize(("build", "available", "gpu", "in_checkout", "status", "said", "fix"), [
    (None, False, NO_GPU, True, "ok", "not used: no NVIDIA GPU found", ""),
    (None, False, A_GPU, True, "warn", "but PyTorch is the CPU-only build", "python3 tasks.py setup --cuda"),
    (None, False, A_GPU, False, "warn", "but PyTorch is the CPU-only build", "https://pytorch.org/get-started/locally/"),
    ("13.0", False, NO_GPU, True, "warn", "takes several GB for nothing", "python3 tasks.py setup (the CPU-only"),
    ("13.0", False, NO_GPU, False, "warn", "takes several GB for nothing", "--index-url https://download.pytorch.org"),
    ("13.0", False, A_GPU, True, "warn", "cannot use the GPU (nvidia-smi lists 1", "update the NVIDIA driver"),
])
def test_cuda_against_the_machine(build, available, gpu, in_checkout, status, said, fix):
    check = doctor.check_cuda(FakeCuda(build, available), gpu, in_checkout)
    assert (check.status, check.name) == (status, "CUDA")
    assert said in check.message and fix in check.fix


def test_cuda_that_fails_a_computation():
    check = doctor.check_cuda(FakeCuda("13.0", True), A_GPU, True)
    assert check.status == "FAIL"
    assert check.message == ("available, but a computation on the GPU failed (CUDA error: no kernel image is "
                             "available for execution on the device)")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_that_works():
    check = doctor.check_cuda(torch, doctor.nvidia_gpu(), True)
    assert check.status == "ok" and check.message.startswith("works: a computation on ")


def test_widgets_front_end(tmp_path, monkeypatch):
    import jupyter_core.paths

    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [str(tmp_path / "share" / "labextensions")])
    check = doctor.check_widgets(in_checkout=True)
    assert check.status == "FAIL" and "is installed but not its JupyterLab front-end" in check.message
    assert check.fix.startswith(".venv/bin/python -m pip install 'ipywidgets>=8' jupyterlab_widgets")

    manager = tmp_path / "share" / "labextensions" / "@jupyter-widgets" / "jupyterlab-manager"
    manager.mkdir(parents=True)
    (manager / "package.json").write_text(json.dumps({"name": "@jupyter-widgets/jupyterlab-manager", "version": "5.0.9"}))
    check = doctor.check_widgets(in_checkout=True)
    assert check.status == "ok" and check.message.endswith("(@jupyter-widgets/jupyterlab-manager 5.0.9)")


def test_font_finder(monkeypatch):
    import matplotlib
    from matplotlib import font_manager

    from ssd_course import i18n

    assert doctor.font_covering("IoU") is not None
    found = doctor.cjk_font()
    assert found is None or "last resort" not in found.lower()
    check = doctor.check_cjk_font()
    assert check.status == ("ok" if found else "warn")
    if found:
        assert check.message == i18n.font_status()

    # matplotlib's own fonts: DejaVu has no Chinese; Last Resort claims every character but draws placeholders
    own = [entry for entry in font_manager.fontManager.ttflist
           if Path(entry.fname).parent == Path(matplotlib.get_data_path()) / "fonts" / "ttf"]
    assert any("dejavu" in entry.name.lower() for entry in own)
    monkeypatch.setattr(font_manager.fontManager, "ttflist", own)
    assert doctor.font_covering(doctor.CJK_SAMPLE) is None
    assert doctor.font_covering("IoU").startswith("DejaVu")


def test_without_a_chinese_font_doctor_warns_and_names_the_font_package(monkeypatch):
    from ssd_course import i18n

    monkeypatch.setattr(doctor, "cjk_font", lambda: None)
    check = doctor.check_cjk_font()
    assert check.status == "warn" and "English labels" in check.message
    assert check.fix == f"python -m pip install {i18n.FONT_PACKAGE}"


def test_missing_course_files(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_overview.ipynb").write_text("{}")
    (tmp_path / "notebooks" / "GLOSSARY.md").write_text("# Glossary\n")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "annotations.json").write_text(json.dumps({"images": [{"file": "coffee.jpg"}]}))
    monkeypatch.setattr(assets, "CHECKOUT", tmp_path)
    monkeypatch.setattr(assets, "PACKAGED", tmp_path / "nowhere")
    check = doctor.check_course_files()
    assert check.status == "FAIL"
    assert check.message == (f"missing from the checkout at {doctor._shown(tmp_path)}: images/CREDITS.md, "
                             "checkpoints/tiny_detector.pt, tools/make_student_copies.py, images/coffee.jpg")
    assert check.fix.startswith("git status; git checkout -- images/CREDITS.md")

    monkeypatch.setattr(assets, "CHECKOUT", tmp_path / "nowhere")
    check = doctor.check_course_files()
    assert check.status == "FAIL" and check.message.startswith("the course's files are missing")


def stale_copy(tmp_path: Path, name: str, change) -> Path:
    """A copy of a course notebook with ``change(cell)`` applied to its first show.source cell."""
    notebook = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "code" and "show.source(" in "".join(c["source"]))
    change(cell)
    path = tmp_path / name
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.mark.parametrize("notebook", COURSE, ids=lambda path: path.name)
def test_show_source_outputs_of_the_course_are_current(notebook):
    calls = sum("".join(cell["source"]).count("show.source(") for cell in
                json.loads(notebook.read_text(encoding="utf-8"))["cells"] if cell["cell_type"] == "code")
    assert doctor.show_source_outputs(notebook) == (calls, [])  # every call compared, none stale


def test_stale_show_source_outputs_are_found(tmp_path):
    name = "04_encoding_and_location_loss.ipynb"

    def older_code(cell):
        text = cell["outputs"][0]["data"]["text/plain"]
        cell["outputs"][0]["data"]["text/plain"] = ["    # an older version of this function\n", *text]

    compared, stale = doctor.show_source_outputs(stale_copy(tmp_path, name, older_code))
    assert compared == 4
    assert stale == [f"{name}, code cell 2: show.source(encoding._encode) shows older code than the package"]

    def renamed(cell):
        cell["source"] = ["show.source(encoding.encode_offsets)"]

    _, stale = doctor.show_source_outputs(stale_copy(tmp_path, name, renamed))
    assert len(stale) == 1 and "names something the package no longer has" in stale[0]

    def moved_marker(cell):
        cell["source"] = ['show.source(encoding._encode, start="# a line that is gone")']

    _, stale = doctor.show_source_outputs(stale_copy(tmp_path, name, moved_marker))
    assert len(stale) == 1 and "fails with the package now (start must be text found in the source" in stale[0]

    def never_run(cell):
        cell["outputs"] = []

    assert doctor.show_source_outputs(stale_copy(tmp_path, name, never_run)) == (3, [])

    stale_copy(tmp_path, name, older_code)
    check = doctor.check_notebook_outputs(tmp_path, in_checkout=True)
    assert check.status == "FAIL" and check.fix.startswith("python3 tasks.py notebooks")
    check = doctor.check_notebook_outputs(tmp_path, in_checkout=True, copy=True)
    assert check.status == "warn" and check.fix == "run those notebooks again (Run > Run All Cells) and save them"
