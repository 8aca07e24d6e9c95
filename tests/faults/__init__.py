"""Fault injection: bad input refused at the door, a full disk, and `sacnn-dagster run` killed (SIGKILL) or
stopped (SIGTERM) at chosen points, then run again (the outputs must end byte-identical to an
uninterrupted run, with no manual step)."""
