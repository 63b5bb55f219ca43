"""The course as an installable package: asset lookup, ``ssd-course``, the wheel and sdist.

The wheel is built from this checkout and installed (``--no-deps``) into a fresh virtual
environment outside the repository. Its third-party dependencies (PyTorch, JupyterLab, ...)
are borrowed from this environment through a path line, which makes their packages
importable without making this checkout's own ``ssd_course`` visible: the test checks that
the package, its notebooks, photographs and checkpoint all come from the wheel. There,
``ssd-course lab DIR`` writes the course and opens it in JupyterLab, every notebook of the
written copy passes strict nbval, ``ssd-course student DIR`` writes the student copies and
``ssd-course doctor DIR`` finds everything in order.
"""

from __future__ import annotations

import concurrent.futures
import importlib.metadata
import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from ssd_course import assets, cli, data
from ssd_course import doctor as doctor_module
from tests.jupyter_helpers import run_lab

ROOT = Path(__file__).resolve().parent.parent
VERSION = importlib.metadata.version("ssd-course")
COURSE = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHINESE = sorted(p.name for p in (ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))
SHIPPED = [  # files of the repository the wheel must carry, as paths inside ssd_course/_course/
    *(f"notebooks/{name}" for name in COURSE), "notebooks/GLOSSARY.md", "notebooks/sanitize.cfg",
    "images/CREDITS.md", "images/annotations.json", "images/coffee.jpg", "checkpoints/tiny_detector.pt",
    "checkpoints/tiny_detector_history.json", "checkpoints/ablation.json", "tools/make_student_copies.py",
]


# ---------------------------------------------------------------------------------------------
# Finding the course's files


def test_assets_are_found_through_the_package_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert assets.course_root() == ROOT  # a checkout: the files at the repository's root
    assert data.asset_path("checkpoints", "tiny_detector.pt") == ROOT / "checkpoints" / "tiny_detector.pt"
    assert data.PHOTO_DIR == ROOT / "images"


@pytest.mark.parametrize(("parts", "error", "message"), [
    ((), ValueError, "asset_path needs a path inside the course"),
    (("..", "pyproject.toml"), ValueError, "parts must name a path inside the course; got '../pyproject.toml'"),
    (("/etc/passwd",), ValueError, "parts must name a path inside the course"),
    (("checkpoints", "huge_detector.pt"), FileNotFoundError,
     "checkpoints/huge_detector.pt is not among the course's files in"),
])
def test_asset_path_refuses(parts, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(".", r"\.")):
        data.asset_path(*parts)


def test_a_wheels_files_come_before_the_checkout(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    monkeypatch.setattr(assets, "PACKAGED", tmp_path)
    assert assets.course_root() == tmp_path
    assert not assets.is_checkout()


# ---------------------------------------------------------------------------------------------
# Writing the course into a folder


FILES = {"notebooks/00_overview.ipynb": b"overview v1", "notebooks/zh/00_overview.ipynb": b"zh v1",
         "notebooks/GLOSSARY.md": b"glossary v1"}


def test_write_course_keeps_what_the_learner_changed(tmp_path):
    course = tmp_path / "course"
    first = cli.write_course(course, FILES)
    assert first == cli.CourseWrite(written=list(FILES), updated=[], kept=[], current=[])
    assert {path: (course / path).read_bytes() for path in FILES} == FILES
    assert sorted(p.name for p in course.rglob(".*")) == [".ssd-course.json"]  # no temporary file left

    assert cli.write_course(course, FILES) == cli.CourseWrite([], [], [], current=list(FILES))

    (course / "notebooks/00_overview.ipynb").write_bytes(b"overview with my notes")
    (course / "notebooks/GLOSSARY.md").unlink()
    newer = {path: text.replace(b"v1", b"v2") for path, text in FILES.items()}
    second = cli.write_course(course, newer)
    assert second == cli.CourseWrite(written=["notebooks/GLOSSARY.md"], updated=["notebooks/zh/00_overview.ipynb"],
                                     kept=["notebooks/00_overview.ipynb"], current=[])
    assert (course / "notebooks/00_overview.ipynb").read_bytes() == b"overview with my notes"
    assert (course / "notebooks/zh/00_overview.ipynb").read_bytes() == b"zh v2"
    # the learner's notebook stays theirs on every later run
    assert cli.write_course(course, newer).kept == ["notebooks/00_overview.ipynb"]
    lines = cli.describe(second, course)
    assert lines[0] == f"wrote the course into {course}: 0 notebooks and 1 other file in notebooks/"
    assert lines[1] == "brought 1 file you had not changed up to date: 00_overview.ipynb"
    assert lines[2] == ("kept 1 file you changed: 00_overview.ipynb (to get the installed course's version of one, "
                        "rename yours and run again)")


def test_a_failed_write_leaves_nothing_half_written(tmp_path):
    course = tmp_path / "new" / "course"
    course.mkdir(parents=True)
    (course / "notes").write_text("a file where the course wants a folder")
    files = {"notebooks/00_overview.ipynb": b"overview", "notes/01.ipynb": b"one"}
    with pytest.raises(cli.CourseFolderError, match=r"could not write the course into .* nothing was written"):
        cli.write_course(course, files)
    assert sorted(p.name for p in course.iterdir()) == ["notes"]


def test_write_course_refuses_a_file_and_a_folder_in_the_way(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(cli.CourseFolderError, match=r"^DIR must be a folder; .*a-file is a file$"):
        cli.write_course(tmp_path / "a-file", FILES)
    with pytest.raises(cli.CourseFolderError, match=r"^DIR cannot be created: .*a-file is a file$"):
        cli.write_course(tmp_path / "a-file" / "course", FILES)
    (tmp_path / "course" / "notebooks" / "GLOSSARY.md").mkdir(parents=True)
    with pytest.raises(cli.CourseFolderError, match="GLOSSARY.md is a folder where the course has a file"):
        cli.write_course(tmp_path / "course", FILES)
    assert not (tmp_path / "course" / "notebooks" / "00_overview.ipynb").exists()


def run_cli(arguments: list[str], capsys) -> tuple[int, str, str]:
    """``ssd-course ARGUMENTS`` in this process: its exit code, stdout and stderr."""
    try:
        code = cli.main(arguments)
    except SystemExit as stop:  # argparse's errors
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("arguments", "message"), [
    (["labb"], "ssd-course: error: argument COMMAND: invalid choice: 'labb' (choose from 'lab', 'student', "
               "'doctor') (see ssd-course --help)"),
    ([], "ssd-course: error: the following arguments are required: COMMAND (see ssd-course --help)"),
    (["lab", "a-file"], "ssd-course: error: DIR must be a folder; {cwd}/a-file is a file"),
    (["student", "a-file"], "ssd-course: error: DIR must be a folder; {cwd}/a-file is a file"),
    (["doctor", "a-file"], "ssd-course: error: DIR must be a course folder written by `ssd-course lab`; "
                           "{cwd}/a-file is a file"),
    (["student", "course", "--no-browser"], "ssd-course: error: unrecognised arguments for student: --no-browser "
                                            "(see ssd-course --help)"),
])
def test_bad_input_is_one_line(arguments, message, tmp_path, monkeypatch, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(arguments, capsys)
    assert code != 0
    assert err.splitlines() == [message.format(cwd=tmp_path)]
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("command", ["lab", "student"])
def test_a_read_only_dir_is_one_line(command, tmp_path, monkeypatch, capsys):
    read_only = tmp_path / "course"
    read_only.mkdir()
    read_only.chmod(0o555)
    if os.geteuid() == 0:  # root may write anywhere: answer as the kernel answers an ordinary user
        monkeypatch.setattr(os, "access", lambda path, mode: not mode & os.W_OK or bool(os.stat(path).st_mode & 0o200))
    try:
        code, out, err = run_cli([command, str(read_only)], capsys)
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            f"ssd-course: error: DIR {read_only} is read-only for you: your work could not be saved there; choose "
            "a folder you can write to"]
        assert list(read_only.iterdir()) == []
        code, out, err = run_cli([command, str(read_only / "inside")], capsys)
        assert code == 1
        assert err.splitlines() == [
            f"ssd-course: error: DIR {read_only / 'inside'} is read-only for you (it would be created in "
            f"{read_only}): your work could not be saved there; choose a folder you can write to"]
    finally:
        read_only.chmod(0o755)


def test_tasks_dist_builds_with_python_m_build(monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    commands = []
    monkeypatch.setattr(tasks, "setup", lambda args: None)
    monkeypatch.setattr(tasks, "run", lambda *command, **kwargs: commands.append([str(c) for c in command]))
    tasks.main(["dist", "--sdist"])
    assert commands == [[str(tasks.PYTHON), "-m", "build", "--outdir", str(ROOT / "dist"), "--sdist", str(ROOT)]]


# ---------------------------------------------------------------------------------------------
# The wheel and the sdist


def can_build_here() -> bool:
    """Whether this environment has the build backend pyproject.toml asks for (to build without a download)."""
    from packaging.version import Version

    try:
        return Version(importlib.metadata.version("setuptools")) >= Version("77")
    except importlib.metadata.PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The wheel and sdist built from this checkout, as ``python3 tasks.py dist`` builds them."""
    out = tmp_path_factory.mktemp("dist")
    isolation = ["--no-isolation"] if can_build_here() else []
    result = subprocess.run([sys.executable, "-m", "build", *isolation, "--outdir", str(out), str(ROOT)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {"wheel": out / f"ssd_course-{VERSION}-py3-none-any.whl", "sdist": out / f"ssd_course-{VERSION}.tar.gz"}


def test_the_wheel_carries_the_course(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    package = {name for name in names if name.startswith("ssd_course/") and "/_course/" not in name}
    assert {f"ssd_course/{p.name}" for p in (ROOT / "ssd_course").glob("*.py")} == package
    course = {name.removeprefix("ssd_course/_course/") for name in names if name.startswith("ssd_course/_course/")}
    assert set(SHIPPED) <= course
    assert {name.split("/")[0] for name in course} == {"notebooks", "images", "checkpoints", "tools"}
    tracked = subprocess.run(["git", "ls-files", "notebooks", "images", "checkpoints"], cwd=ROOT, capture_output=True,
                             text=True)
    if tracked.returncode == 0 and tracked.stdout:  # a git checkout: every committed course file is shipped
        assert set(tracked.stdout.split()) <= course
    assert not any("__pycache__" in name or "/." in name for name in names)
    entry_points = zipfile.ZipFile(dist["wheel"]).read(f"ssd_course-{VERSION}.dist-info/entry_points.txt").decode()
    assert "ssd-course = ssd_course.cli:main" in entry_points


def test_the_sdist_builds_the_wheel(dist):
    names = {name.split("/", 1)[1] for name in tarfile.open(dist["sdist"]).getnames() if "/" in name}
    for needed in ("setup.py", "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE", "ssd_course/assets.py",
                   "docs/instructors.md", *SHIPPED):
        assert needed in names, needed
    assert not any(name.startswith("tests/") for name in names)


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> dict[str, Path]:
    """A fresh environment outside the repository with the wheel installed; its dependencies borrowed."""
    place = tmp_path_factory.mktemp("installed")
    environment = place / "env"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site_packages = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        capture_output=True, text=True, check=True).stdout.strip())
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "borrowed_dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(borrowed)))
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet",
                             str(dist["wheel"])], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    share = Path(sys.prefix) / "share" / "jupyter"  # the borrowed JupyterLab's front-end and extensions
    env = {**os.environ, "JUPYTER_PATH": str(share), "JUPYTERLAB_DIR": str(share / "lab"),
           "PATH": os.pathsep.join([str(python.parent), os.environ.get("PATH", "")])}
    env.pop("PYTHONPATH", None)
    env.pop("SSD_COURSE_IMAGES", None)
    return {"python": python, "bin": python.parent, "home": place, "env": env}


def in_fresh(installed, *arguments: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*arguments], capture_output=True, text=True, cwd=cwd, env=installed["env"], timeout=timeout)


def test_the_installed_package_uses_its_own_files(installed):
    script = ("import json, sys, ssd_course, ssd_course.data as d, ssd_course.assets as a; "
              "print(json.dumps([ssd_course.__file__, str(d.PHOTO_DIR), str(d.asset_path('checkpoints')), sys.path]))")
    result = in_fresh(installed, str(installed["python"]), "-c", script, cwd=installed["home"])
    assert result.returncode == 0, result.stderr
    package, photos, checkpoints, path = json.loads(result.stdout)
    packaged = Path(package).parent / "_course"
    assert Path(package).is_relative_to(installed["home"])
    assert (Path(photos), Path(checkpoints)) == (packaged / "images", packaged / "checkpoints")
    assert not any(Path(entry).resolve() == ROOT for entry in path if entry)
    check = in_fresh(installed, sys.executable, "-m", "pip", "--python", str(installed["python"]), "check",
                     cwd=installed["home"])
    assert check.returncode == 0, check.stdout  # the wheel's requirements are all met


@pytest.fixture(scope="module")
def lab_course(installed, tmp_path_factory):
    """``ssd-course lab my-course`` run in the fresh environment: what the Lab showed, and the folder."""
    lab = run_lab([str(installed["bin"] / "ssd-course"), "lab", "my-course"], tmp_path_factory.mktemp("lab"),
                  cwd=installed["home"], env=installed["env"])
    return lab, installed["home"] / "my-course"


def test_ssd_course_lab_writes_the_course_and_opens_it(lab_course):
    lab, course = lab_course
    assert lab.output.startswith(f"wrote the course into {course}: {len(COURSE) + len(CHINESE)} notebooks and ")
    assert lab.opened.endswith("/lab/tree/notebooks/00_overview.ipynb?token=TOKEN")
    assert lab.root == ["notebooks"]  # the Lab's root is the course folder (its hidden manifest is not listed)
    assert set(COURSE) | {"GLOSSARY.md"} <= set(lab.notebooks)
    for name in [*COURSE, "GLOSSARY.md"]:
        assert (course / "notebooks" / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()
    for name in CHINESE:
        assert (course / "notebooks" / "zh" / name).read_bytes() == (ROOT / "notebooks" / "zh" / name).read_bytes()
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    assert ("running as root (as in most containers): passing --allow-root to JupyterLab" in lab.output) == as_root


def test_the_written_course_passes_strict_nbval(installed, lab_course):
    _, course = lab_course
    env = {key: value for key, value in installed["env"].items() if key != "MPLBACKEND"}  # kernels draw inline

    def nbval(name: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(installed["python"]), "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval",
                               "--nbval-current-env", "--nbval-sanitize-with", "notebooks/sanitize.cfg",
                               f"notebooks/{name}"], capture_output=True, text=True, cwd=course, env=env, timeout=1800)

    # two notebooks at a time (each pytest mostly waits for its kernel), the later, longer ones first
    order = COURSE[::-1]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(order, pool.map(nbval, order)))
    for name, result in results.items():
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        assert result.returncode == 0, f"{name}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
        assert " passed" in summary and "failed" not in summary and "skipped" not in summary, f"{name}: {summary}"


def test_ssd_course_student_and_doctor(installed):
    course = installed["home"] / "class"
    result = in_fresh(installed, str(installed["bin"] / "ssd-course"), "student", str(course), cwd=installed["home"])
    assert result.returncode == 0, result.stderr
    copies = sorted(p.name for p in (course / "student").glob("[0-9][0-9]_*.ipynb"))
    assert copies == COURSE
    assert sorted(p.name for p in (course / "student" / "zh").glob("[0-9][0-9]_*.ipynb")) == CHINESE
    assert (course / "student" / "GLOSSARY.md").exists() and (course / "student" / "README.md").exists()
    assert "raise NotImplementedError" in (course / "student" / "01_boxes_and_iou.ipynb").read_text(encoding="utf-8")

    doctor = in_fresh(installed, str(installed["bin"] / "ssd-course"), "doctor", cwd=installed["home"])
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    lines = doctor.stdout.splitlines()
    chinese = f" (and {len(CHINESE)} in Chinese)" if CHINESE else ""
    assert lines[5].startswith(f"ok    course files: {len(COURSE)} notebooks{chinese}, the glossary, 4 photographs")
    assert f"in the installed package, {doctor_module._shown(installed['home'])}" in lines[5]
    assert lines[6].startswith("ok    notebook outputs: the ")


def test_the_release_workflow_builds_on_tags_and_keeps_the_files():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as True
    assert triggers["push"] == {"tags": ["v*"]}
    steps = workflow["jobs"]["dist"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "python -m build --outdir dist ." in commands
    assert "ssd-course doctor" in commands and "--index-url https://download.pytorch.org/whl/cpu" in commands
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "dist/" and upload["with"]["if-no-files-found"] == "error"
    assert workflow["permissions"] == {"contents": "read"}  # builds, publishes nothing
