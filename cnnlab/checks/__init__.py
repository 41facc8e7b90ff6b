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

A failed check shows as one compact block (case, expected, got, hint), without the
checks' own frames: see :mod:`cnnlab.messages`. The machinery shared by all checks lives in :mod:`cnnlab.checks.core`; one
module per notebook holds that notebook's checks.
"""

from cnnlab import messages

from .core import CheckError, NotDoneError

# In a notebook, a cell that calls an exercise not written yet (or uses a name an earlier
# cell should have set) then says which exercise or cell to do first: see cnnlab.messages.
messages.install()

__all__ = ["CheckError", "NotDoneError"]
