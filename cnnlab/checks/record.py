"""What a check hands to the grader: the student's outputs as plain data, never a verdict.

A check (see :func:`cnnlab.checks.core.run_check`) runs the student's function on
fixed cases and *collects* what came back as plain data: numbers, strings, lists,
dicts and NumPy arrays of numbers. In a notebook it publishes that data with its
one-line message, in the output's metadata under :data:`MIME`, where no notebook
front end shows it. The grader (:mod:`cnnlab.grade.judge`) reads it back from the
executed notebook and decides pass or fail in its own process, with its own copy of
this package.

The format is JSON, so nothing in it can run code when it is read: arrays are
``{"__array__": dtype, "shape": [...], "data": base64}`` with numeric or boolean
dtypes only; anything else fails :func:`decode` with ``ValueError``.
"""

from __future__ import annotations

import base64
import math
import sys
from typing import Any

import numpy as np

MIME = "application/vnd.cnnlab.check+json"
_ARRAY_KINDS = "biufc"   # bool, int, unsigned, float, complex
_MAX_DEPTH = 32


def encode(value: Any, _depth: int = 0) -> Any:
    """``value`` as JSON-ready data; raises ``TypeError`` for anything that is not plain data."""
    if _depth > _MAX_DEPTH:
        raise TypeError("data nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ARRAY_KINDS or value.dtype.hasobject:
            raise TypeError(f"array of dtype {value.dtype} is not plain data")
        arr = np.ascontiguousarray(value)
        return {"__array__": arr.dtype.str, "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [encode(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if not isinstance(key, str) or key.startswith("__"):
                raise TypeError(f"dict key {key!r} is not a plain string")
            out[key] = encode(v, _depth + 1)
        return out
    raise TypeError(f"{type(value).__name__} is not plain data")


def decode(obj: Any, _depth: int = 0) -> Any:
    """The data :func:`encode` made; ``ValueError`` for anything else (e.g. a forged record)."""
    if _depth > _MAX_DEPTH:
        raise ValueError("data nested too deeply")
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        return obj
    if isinstance(obj, list):
        return [decode(v, _depth + 1) for v in obj]
    if isinstance(obj, dict):
        if "__array__" in obj:
            try:
                dtype = np.dtype(str(obj["__array__"]))
                shape = tuple(int(n) for n in obj["shape"])
                raw = base64.b64decode(str(obj["data"]).encode("ascii"), validate=True)
            except Exception as exc:
                raise ValueError(f"not an array record: {exc}") from None
            if dtype.kind not in _ARRAY_KINDS or dtype.hasobject or any(n < 0 for n in shape):
                raise ValueError(f"array of dtype {dtype} is not plain data")
            if len(raw) != dtype.itemsize * math.prod(shape):
                raise ValueError("array data does not match its shape")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if "__float__" in obj:
            text = str(obj["__float__"])
            if text not in ("nan", "inf", "-inf"):
                raise ValueError(f"not a float: {text!r}")
            return float(text)
        if any(not isinstance(k, str) or k.startswith("__") for k in obj):
            raise ValueError("unexpected key in data")
        return {k: decode(v, _depth + 1) for k, v in obj.items()}
    raise ValueError(f"{type(obj).__name__} is not plain data")


def publish(exercise: str, suite: str, data: Any, text: str) -> None:
    """Show ``text`` and attach the collected ``data`` for a grader (metadata, never displayed).

    Outside a Jupyter kernel (a script, pytest) only ``text`` is printed. Always stdout:
    any stderr in a graded cell would cost the student the cell's points.
    """
    payload = {"exercise": exercise, "suite": suite, "data": encode(data)}
    shell = sys.modules.get("IPython") and _kernel_shell()
    if shell is None:
        print(text)
        return
    from IPython.display import display

    display({"text/plain": text}, raw=True, metadata={MIME: payload})


def _kernel_shell():
    """The running IPython kernel's shell, or None (a terminal IPython or no IPython at all)."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def read(output: dict) -> dict | None:
    """The record an output carries, decoded: {"exercise", "suite", "data"}; None if it carries none.

    Raises ``ValueError`` for a record that is not in this format.
    """
    payload = (output.get("metadata") or {}).get(MIME)
    if payload is None:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exercise"), str) \
            or payload.get("suite") not in ("visible", "hidden"):
        raise ValueError("malformed check record")
    return {"exercise": payload["exercise"], "suite": payload["suite"], "data": decode(payload.get("data"))}
