"""Self-checks for the course's exercises.

Every exercise is followed by a cell that calls its check, e.g.::

    from cnnlab.checks import knn as check
    check.l1_distance(l1_distance)

A check runs the student's function on small cases (the lecture's own numbers
first), and on the first failure raises :class:`CheckError` whose message says
which case failed, what was expected, what came back, and a hint for that
mistake. On success it prints one line to stdout. It needs no nbgrader, so it
works in Colab and for self-study; the autograder runs the same check plus
hidden tests that live only in ``solutions/``.

The machinery shared by all checks lives in :mod:`cnnlab.checks.core`; one
module per notebook holds that notebook's checks.
"""

from .core import CheckError, NotDoneError

__all__ = ["CheckError", "NotDoneError"]
