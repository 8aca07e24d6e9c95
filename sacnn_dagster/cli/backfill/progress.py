"""The progress bar of a backfill being followed (tqdm): asset partitions done of the target, how many failed
(or are held back by a failure), how many runs are in progress, the time since it started.

On a terminal the bar is redrawn in place at every look. Elsewhere (a pipe, a CI log, a test's captured
stderr) every redraw stays in the output, so it is redrawn at most every `QUIET_INTERVAL_S` seconds, and
once more at the end with the final count."""

from __future__ import annotations

from typing import TextIO

from tqdm import tqdm

#: Seconds between two redraws on a stream that is not a terminal.
QUIET_INTERVAL_S = 30.0
BAR_FORMAT = "[{bar:30}] {n}/{total} asset partitions {percentage:3.0f}%{postfix} {elapsed}"


class BackfillProgress:
    """The bar on `stream`, drawn at the first update (when the total is known); use as a context manager
    (closing draws the final state on its own line)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.bar: tqdm | None = None

    def __enter__(self) -> BackfillProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, done: int, failed: int, total: int, runs: int) -> None:
        postfix = (f"{failed} failed or downstream of a failure, " if failed else "") + f"{runs} run(s) in progress"
        if self.bar is None:
            self.bar = tqdm(
                total=total,
                initial=done,
                postfix=postfix,
                file=self.stream,
                bar_format=BAR_FORMAT,
                ascii=".#",  # [######........]: plain characters for every terminal and log
                mininterval=0.1 if self.stream.isatty() else QUIET_INTERVAL_S,
                miniters=0,  # redraw on time alone: the runs in progress change while the count does not
                dynamic_ncols=False,
            )
            return
        self.bar.total = total
        self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.update(done - self.bar.n)  # redraws once the interval has passed
