"""Re-execute the course notebooks in place, top to bottom, each in a fresh kernel.

    python tools/execute_notebooks.py [NOTEBOOK ...]     (default: every notebooks/NN_*.ipynb,
                                                          then every Chinese one, notebooks/zh/NN_*.ipynb)

This is how the committed outputs are made (``python3 tasks.py notebooks``). A Chinese
notebook is first rebuilt from its English notebook and translation (``tools/translations.py``);
one whose translation is out of date is left as it is, with its problems listed. Outputs that
change from run to run on the same machine must not exist: the notebooks are seeded. The
only metadata kept is what JupyterLab needs to pick the kernel, so that regenerating a
notebook changes nothing but what its code printed or drew.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from translations import CHINESE, TranslationError, build, translated_names

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
CELL_TIMEOUT_S = 600


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def merge_streams(outputs: list) -> list:
    """Consecutive prints to the same stream as one output: how the kernel splits them is timing."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


def strip_volatile(nb: nbformat.NotebookNode, name: str) -> None:
    """Keep only what the code printed or drew, so that running a notebook again changes nothing else.

    The widget state is not saved, so a widget's random model id refers to nothing: it is
    replaced by one made from the notebook's name and the cell's place.
    """
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for index, cell in enumerate(nb.cells):
        for key in ("execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
        if "outputs" not in cell:
            continue
        cell.outputs = merge_streams(cell.outputs)
        for number, output in enumerate(cell.outputs):
            output.get("metadata", {}).pop("transient", None)
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is not None:
                view["model_id"] = hashlib.sha256(f"{name}/{index}/{number}".encode()).hexdigest()[:32]


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=False,
    )
    client.execute()
    strip_volatile(nb, path.name)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    paths = [Path(a).resolve() for a in argv] or [
        *sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), *(CHINESE / f"{name}.ipynb" for name in translated_names())]
    total, failed = 0.0, 0
    for path in paths:
        if path.parent == CHINESE:
            try:
                build(path.stem)
            except TranslationError as error:
                print(f"{path.relative_to(ROOT)}: not rebuilt, its translation is out of date:\n{error}", flush=True)
                failed += 1
                continue
        seconds = execute(path)
        total += seconds
        print(f"{path.relative_to(ROOT)}: executed in {seconds:.1f} s", flush=True)
    print(f"{len(paths) - failed} notebooks in {total:.1f} s")
    if failed:
        sys.exit(f"{failed} Chinese notebooks not rebuilt: see python tools/translations.py status")


if __name__ == "__main__":
    main(sys.argv[1:])
