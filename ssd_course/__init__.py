"""ssd_course: the working code of a hands-on course on how the SSD detector learns.

One module per chapter of the course:

* :mod:`ssd_course.boxes`    -- box formats, areas, pairwise IoU (notebook 01)
* :mod:`ssd_course.priors`   -- prior boxes: the tiny detector's 441, SSD300's 8732 (notebook 02)
* :mod:`ssd_course.matching` -- the two matching principles (notebook 03)
* :mod:`ssd_course.encoding` -- offsets between boxes and priors (notebook 04)
* :mod:`ssd_course.loss`     -- smooth L1, hard negative mining, MultiBox loss (notebooks 04-07)
* :mod:`ssd_course.viz`      -- matplotlib drawings used by the notebooks
* :mod:`ssd_course.widgets`  -- interactive explorers (ipywidgets) used by the notebooks
* :mod:`ssd_course.show`     -- showing the package's source in a notebook
* :mod:`ssd_course.pitfalls` -- reproductions of the popular implementations' defects
* :mod:`ssd_course.checks`   -- automatic feedback for the notebooks' exercises
* :mod:`ssd_course.data`     -- the course's annotated photographs and generated scenes
* :mod:`ssd_course.i18n`     -- the language of what the package shows: ``set_language("zh")``
* :mod:`ssd_course.model`, :mod:`ssd_course.detection`, :mod:`ssd_course.train` -- a tiny
  detector trained with this loss, its detections and mAP (notebook 08)
* :mod:`ssd_course.assets`   -- where the course's notebooks, photographs and checkpoint are
* :mod:`ssd_course.cli`, :mod:`ssd_course.doctor` -- the ``ssd-course`` command: the course
  written into a folder and opened in JupyterLab, student copies, a check of the set-up

The modules above the line ``from ssd_course import ...`` below are imported with the
package; the others are imported on use (``from ssd_course import viz``), so the core
needs neither matplotlib nor ipywidgets to be imported.

Dimension letters, used in every docstring and shape comment:

* ``B`` -- images in a batch
* ``G`` -- ground-truth (GT) boxes of one image (``G_max`` when padded over a batch)
* ``P`` -- prior boxes
* ``C`` -- classes, *including* the background class 0

Conventions: coordinates are fractional (divided by the image width or height); GT boxes
are ``xyxy`` (x1, y1, x2, y2), priors are ``cxcywh`` (centre x, centre y, width, height);
class labels of objects are 1..C-1 and 0 is background; IoU matrices are ``[G, P]``.
Every function follows the device and dtype of its inputs.
"""

try:
    import torch as _torch  # noqa: F401  (every module below needs it)
except (ImportError, OSError) as _error:  # not installed, or a broken build (a CUDA library missing)
    _TORCH_ERROR: BaseException | None = _error
else:
    _TORCH_ERROR = None

from ssd_course import i18n  # needs no PyTorch
from ssd_course.i18n import get_language, set_language

if _TORCH_ERROR is None:
    from ssd_course import boxes, encoding, loss, matching, priors
    from ssd_course.loss import LossParts, MultiBoxLoss, multibox_loss
    from ssd_course.matching import BACKGROUND, UNMATCHED, Match, match_priors, match_priors_batch
else:
    # Without a working PyTorch only `ssd-course doctor` (ssd_course.cli, ssd_course.doctor) runs,
    # to say what is wrong; everything else says so when it is used.
    def __getattr__(name: str):
        import importlib
        import importlib.util

        if not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
            return importlib.import_module(f"{__name__}.{name}")  # a submodule: it raises if it needs torch
        raise AttributeError(f"ssd_course.{name} needs PyTorch, which cannot be imported here ({_TORCH_ERROR}); "
                             "`ssd-course doctor` (or `python3 tasks.py doctor` in a checkout) says how to fix it")

__version__ = "0.1.0"

__all__ = [
    "BACKGROUND",
    "UNMATCHED",
    "LossParts",
    "Match",
    "MultiBoxLoss",
    "boxes",
    "encoding",
    "get_language",
    "i18n",
    "loss",
    "match_priors",
    "match_priors_batch",
    "matching",
    "multibox_loss",
    "priors",
    "set_language",
]
