"""Plausible wrong answers for notebook 5 (learning the kernel), each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
The first version of each is the one the nbgrader round trip submits.

PRELUDE is run before the answer cells outside the notebook: tests/test_learning_the_kernel.py
uses the notebook's given forward pass, ``conv2d_forward``, taken from the notebook itself.
"""

from pathlib import Path

_SOLUTION = Path(__file__).resolve().parents[2] / "solutions" / "05_learning_the_kernel.ipynb"
PRELUDE = ("from cnnlab.grade import grading\n"
           f"grading.notebook_functions({str(_SOLUTION)!r}, ['conv2d_forward'], globals())\n")


def _loops(update: str, db: str = "dout.sum(axis=(0, 1))", crop: str = "dxp[padding:padding + H, padding:padding + W]",
           window: str = "i * stride, j * stride") -> str:
    """A loop backward pass whose per-window update, db, crop or window position is changed."""
    return ("def conv2d_backward_loops(dout, x, w, stride=1, padding=0):\n"
            "    F, _, C, K = w.shape\n"
            "    H, W, _ = x.shape\n"
            "    xp = np.pad(np.asarray(x, dtype=np.float64), ((padding, padding), (padding, padding), (0, 0)))\n"
            "    dxp = np.zeros(xp.shape)\n"
            "    dw = np.zeros(w.shape)\n"
            "    h_out, w_out, _ = dout.shape\n"
            "    for i in range(h_out):\n"
            "        for j in range(w_out):\n"
            f"            r, c = {window}\n"
            "            window = xp[r:r + F, c:c + F]\n"
            "            for k in range(K):\n"
            f"{update}"
            f"    db = {db}\n"
            f"    dx = {crop}\n"
            "    return dx, dw, db\n")


_ADD = ("                dw[:, :, :, k] += dout[i, j, k] * window\n"
        "                dxp[r:r + F, c:c + F] += dout[i, j, k] * w[:, :, :, k]\n")


def _vectorised(dx_lines: str, dw: str = "np.tensordot(windows, dout, axes=([0, 1], [0, 1])).transpose(1, 2, 0, 3)",
                stride_slice: str = "[::stride, ::stride]") -> str:
    return ("def conv2d_backward(dout, x, w, stride=1, padding=0):\n"
            "    F = w.shape[0]\n"
            "    H, W, _ = x.shape\n"
            "    h_out, w_out, _ = dout.shape\n"
            "    xp = np.pad(np.asarray(x, dtype=np.float64), ((padding, padding), (padding, padding), (0, 0)))\n"
            f"    windows = np.lib.stride_tricks.sliding_window_view(xp, (F, F), axis=(0, 1)){stride_slice}\n"
            f"    dw = {dw}\n"
            "    db = dout.sum(axis=(0, 1))\n"
            "    shares = np.tensordot(dout, w, axes=([2], [3]))\n"
            "    rows = (np.arange(h_out) * stride)[:, None, None, None] + np.arange(F)[None, None, :, None]\n"
            "    cols = (np.arange(w_out) * stride)[None, :, None, None] + np.arange(F)[None, None, None, :]\n"
            "    dxp = np.zeros(xp.shape)\n"
            f"{dx_lines}"
            "    return dxp[padding:padding + H, padding:padding + W], dw, db\n")


_ADD_AT = "    np.add.at(dxp, (rows, cols), shares)\n"


def _numeric(body: str, copy: str = "    x = np.array(x, dtype=np.float64)\n") -> str:
    return ("def numerical_gradient(f, x, h=1e-5):\n"
            f"{copy}"
            "    grad = np.zeros(x.shape)\n"
            "    for idx in np.ndindex(x.shape):\n"
            "        old = x[idx]\n"
            f"{body}")


_CENTRED = ("        x[idx] = old + h\n"
            "        f_plus = f(x)\n"
            "        x[idx] = old - h\n"
            "        f_minus = f(x)\n"
            "        x[idx] = old\n")


def _relative(expression: str) -> str:
    return ("def relative_error(a, b):\n"
            "    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)\n"
            f"    return float({expression})\n")


MUTANTS = {
    "conv2d_backward_loops": [
        {"why": "assigns instead of adding, so overlapping windows and positions overwrite each other",
         "expect": "add with `+=`",
         "source": _loops("                dw[:, :, :, k] = dout[i, j, k] * window\n"
                          "                dxp[r:r + F, c:c + F] = dout[i, j, k] * w[:, :, :, k]\n")},
        {"why": "ignores the stride: the window of output (i, j) starts at (i, j)", "expect": "i*stride",
         "source": _loops(_ADD, window="i, j")},
        {"why": "spreads the flipped kernel onto dx", "expect": "flipped the kernel",
         "source": _loops("                dw[:, :, :, k] += dout[i, j, k] * window\n"
                          "                dxp[r:r + F, c:c + F] += dout[i, j, k] * w[::-1, ::-1, :, k]\n")},
        {"why": "averages dout for db instead of summing it", "expect": "not their mean",
         "source": _loops(_ADD, db="dout.mean(axis=(0, 1))")},
        {"why": "returns dx with the padding still on", "expect": "shape of the padded input",
         "source": _loops(_ADD, crop="dxp")},
        {"why": "returns db of shape (1, 1, K)", "expect": "not (1, 1, K)",
         "source": _loops(_ADD, db="dout.sum(axis=(0, 1), keepdims=True)")},
        {"why": "multiplies dw by the filter instead of the window", "expect": "times the window",
         "source": _loops("                dw[:, :, :, k] += dout[i, j, k] * w[:, :, :, k]\n"
                          "                dxp[r:r + F, c:c + F] += dout[i, j, k] * w[:, :, :, k]\n")},
    ],
    "conv2d_backward": [
        {"why": "adds the shares with fancy-indexing +=, which keeps one of each repeated index",
         "expect": "np.add.at", "source": _vectorised("    dxp[rows, cols] += shares\n")},
        {"why": "is the loop version (Python loops)", "expect": "no Python loop",
         "source": _loops(_ADD).replace("conv2d_backward_loops", "conv2d_backward")},
        {"why": "keeps tensordot's axis order (C, F, F, K) for dw", "expect": "shape of w",
         "source": _vectorised(_ADD_AT, dw="np.tensordot(windows, dout, axes=([0, 1], [0, 1]))")},
        {"why": "transposes dw into (F, F, C, K) the wrong way round", "expect": "times the window of the padded",
         "source": _vectorised(_ADD_AT, dw="np.tensordot(windows, dout, axes=([0, 1], [0, 1])).transpose(2, 1, 0, 3)")},
    ],
    "numerical_gradient": [
        {"why": "uses forward differences", "expect": "forward difference",
         "source": _numeric("        x[idx] = old + h\n"
                            "        f_plus = f(x)\n"
                            "        x[idx] = old\n"
                            "        grad[idx] = (f_plus - f(x)) / h\n"
                            "    return grad\n")},
        {"why": "divides by h instead of 2h", "expect": "divide by 2h",
         "source": _numeric(_CENTRED + "        grad[idx] = (f_plus - f_minus) / h\n    return grad\n")},
        {"why": "moves the whole array by h", "expect": "one element at a time",
         "source": ("def numerical_gradient(f, x, h=1e-5):\n"
                    "    x = np.array(x, dtype=np.float64)\n"
                    "    grad = np.zeros(x.shape)\n"
                    "    for idx in np.ndindex(x.shape):\n"
                    "        grad[idx] = (f(x + h) - f(x - h)) / (2 * h)\n"
                    "    return grad\n")},
        {"why": "works on the caller's array and does not put x[idx] back", "expect": "changed one of its input arrays",
         "source": _numeric("        x[idx] = old + h\n"
                            "        f_plus = f(x)\n"
                            "        x[idx] = old - h\n"
                            "        f_minus = f(x)\n"
                            "        grad[idx] = (f_plus - f_minus) / (2 * h)\n"
                            "    return grad\n", copy="")},
    ],
    "relative_error": [
        {"why": "divides by |a| only", "expect": "not by |a|",
         "source": _relative("np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-8))")},
        {"why": "takes the mean instead of the largest error", "expect": "not the mean",
         "source": _relative("np.mean(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8))")},
        {"why": "has no floor in the denominator (0 / 0 for zeros)", "expect": "denominator is 0",
         "source": ("def relative_error(a, b):\n"
                    "    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)\n"
                    "    with np.errstate(invalid='ignore', divide='ignore'):\n"
                    "        return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))\n")},
        {"why": "divides by |a + b|", "expect": "not |a + b|",
         "source": ("def relative_error(a, b):\n"
                    "    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)\n"
                    "    with np.errstate(invalid='ignore', divide='ignore'):\n"
                    "        return float(np.max(np.abs(a - b) / np.abs(a + b)))\n")},
    ],
}
