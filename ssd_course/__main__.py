"""``python -m ssd_course``: the ``ssd-course`` command (see :mod:`ssd_course.cli`)."""

import sys

from ssd_course.cli import main

sys.exit(main())
