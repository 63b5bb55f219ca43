"""Test-session settings: a headless matplotlib, one CPU thread, reproducible hypothesis on CI.

The tests work on small tensors, where a second thread costs more in synchronisation than
it saves (on a busy 2-core machine, 20-30 ms per reduction instead of 0.01 ms). On CI
(``CI`` set) hypothesis draws the same examples every run, so a red run is reproducible;
locally it keeps exploring new ones.
"""

import os

import matplotlib
import torch
from hypothesis import settings

matplotlib.use("Agg")
torch.set_num_threads(1)

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
