"""Slow motion for the fault-injection tests (tests/faults/), never for the product: put on PYTHONPATH by
the tests only. Every file is written to a hidden temporary name and renamed (io/atomic.py); a rename to a
path matching $SACNN_TEST_SLOW_WRITES waits $SACNN_TEST_SLOW_WRITES_S seconds first. A test then sees the
first such file appear while the rest of the step's files are still to come, and kills the run there: a
kill in the middle of a month's features, a model folder or the grids, every time, whatever the machine's
speed. Python imports `sitecustomize` at start-up from sys.path, so the product's code is left as it is."""

import os
import re
import time

_PATTERN = os.environ.get("SACNN_TEST_SLOW_WRITES")

if _PATTERN:
    _regex = re.compile(_PATTERN)
    _delay = float(os.environ.get("SACNN_TEST_SLOW_WRITES_S", "0.5"))
    _replace = os.replace

    def _slow_replace(src, dst, *args, **kwargs):
        if _regex.search(os.fspath(dst)):
            time.sleep(_delay)
        return _replace(src, dst, *args, **kwargs)

    os.replace = _slow_replace
