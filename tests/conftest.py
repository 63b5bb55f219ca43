"""Test-session settings: a headless matplotlib and one CPU thread.

The tests work on small tensors, where a second thread costs more in synchronisation than
it saves (on a busy 2-core machine, 20-30 ms per reduction instead of 0.01 ms).
"""

import matplotlib
import torch

matplotlib.use("Agg")
torch.set_num_threads(1)
