"""cnnlab: the helper package that the course notebooks import.

Modules, each named for what it holds, by audience. What the notebooks (students) import needs only
the base install (``pip install cnnlab``, or Colab's setup cell):

- ``cnnlab.datasets``: CIFAR-10 and MNIST loaders (download online, a data folder offline).
- ``cnnlab.viz``: image grids, kernels, training curves, confusion matrices.
- ``cnnlab.checks``: the self-checks that every exercise calls (work without nbgrader).
- ``cnnlab.messages``: how errors look to a student: one short block, no internals.
- ``cnnlab.runtime``: where the notebook runs (Colab, autograder) and quiet TensorFlow.
- ``cnnlab.training``, ``cnnlab.backbones``, ``cnnlab.playground``: what the later notebooks share.
- ``cnnlab.start``: ``cnnlab start``, the student's own copy of the course notebooks.

For instructors only (``pip install "cnnlab[instructor]"``; nbgrader):

- ``cnnlab.release``: regenerate ``notebooks/`` from ``solutions/`` with nbgrader.
- ``cnnlab.grade``: grading a class with nbgrader (see its package doc).
"""

__version__ = "0.1.0"
