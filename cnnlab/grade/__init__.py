"""Instructor-side grading tools for a course folder: what nbgrader's gradebook and the
submitted notebooks say about a class, turned into reports (``similarity``: students whose
answer cells are unusually alike; ``lms``: grades in the CSV formats Canvas and Moodle import).
Nothing here is imported by the student notebooks.
"""
