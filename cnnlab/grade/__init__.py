"""Grading a class with nbgrader: for instructors, never imported by the notebooks.

The pipeline of ``cnnlab grade autograde``, one module per part:

- :mod:`~cnnlab.grade.course`: the course folder, through nbgrader's ``CourseDirectory``, and
  cnnlab's record of what was graded from which files;
- :mod:`~cnnlab.grade.worker`: the worker, a function from (assignment source, submission files,
  limits) to (executed notebooks, verdicts), with student code in :mod:`~cnnlab.grade.sandbox`
  (bubblewrap, :mod:`~cnnlab.grade.cgroups`), kernels forked from a fork server that has imported
  once (:mod:`~cnnlab.grade.zygote`, :mod:`~cnnlab.grade.forkserver`) or started ahead
  (:mod:`~cnnlab.grade.warm`), and nbgrader's steps from :mod:`~cnnlab.grade.steps`;
- :mod:`~cnnlab.grade.executors`: where workers run: a local process pool, or a Dask cluster;
- :mod:`~cnnlab.grade.writer`: the gradebook's only writer, merging results as they arrive;
- :mod:`~cnnlab.grade.autograde`: the pipeline that joins them.

Around it: :mod:`~cnnlab.grade.collect` (LMS zips into the course), :mod:`~cnnlab.grade.feedback`
(HTML without hidden tests), :mod:`~cnnlab.grade.report` (CSV and plots),
:mod:`~cnnlab.grade.similarity` (students whose answer cells are unusually alike, by copydetect),
:mod:`~cnnlab.grade.lms` (grades in the CSV formats Canvas and Moodle import),
:mod:`~cnnlab.grade.grading` (grade single notebooks, for the test suite) and
:mod:`~cnnlab.grade.nbgrader_api` (nbgrader's Python API for a course folder).
"""

import sys

# jsonschema (under nbformat) imports rfc3987_syntax where it is installed, to check the "iri" format
# that no notebook schema uses, and that builds its grammars at import: 4-8 s of CPU in every grading
# process that starts (the command, the child that computes the hidden cases' values), beside kernels.
sys.modules.setdefault("rfc3987_syntax", None)
