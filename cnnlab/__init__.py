"""cnnlab: the helper package that the course notebooks import.

Modules, each named for what it holds:

- ``cnnlab.datasets``: CIFAR-10 and MNIST loaders (download online, a data folder offline).
- ``cnnlab.viz``: image grids, kernels, training curves, confusion matrices.
- ``cnnlab.checks``: the self-checks that every exercise calls (work without nbgrader).
- ``cnnlab.runtime``: where the notebook runs (Colab, autograder) and quiet TensorFlow.
- ``cnnlab.release``: regenerate ``notebooks/`` from ``solutions/`` with nbgrader.
- ``cnnlab.grade``: for instructors only: grading a class with nbgrader (see its package doc).
"""

__version__ = "0.1.0"
