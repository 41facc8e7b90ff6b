"""Plausible wrong answers for notebook 4 (pooling), each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
The first version of each is the one the nbgrader round trip submits.
"""


def _max_pool(body: str, shape: str = "(H - size) // stride + 1", dtype: str = ", dtype=x.dtype",
              ret: str = "out") -> str:
    """A loop max_pool2d whose output size, allocation, window reduction or return is changed."""
    return ("def max_pool2d(x, size=2, stride=2):\n"
            "    H, W, C = x.shape\n"
            f"    H_out = {shape}\n"
            f"    W_out = {shape.replace('H', 'W')}\n"
            f"    out = np.zeros((H_out, W_out, C){dtype})\n"
            "    for i in range(H_out):\n"
            "        for j in range(W_out):\n"
            "            window = x[i * stride:i * stride + size, j * stride:j * stride + size]\n"
            f"            {body}\n"
            f"    return {ret}\n")


def _avg_pool(body: str, alloc: str = "np.zeros((H_out, W_out, C))",
              shape: str = "(H - size) // stride + 1") -> str:
    return ("def avg_pool2d(x, size=2, stride=2):\n"
            "    H, W, C = x.shape\n"
            f"    H_out = {shape}\n"
            f"    W_out = {shape.replace('H', 'W')}\n"
            f"    out = {alloc}\n"
            "    for i in range(H_out):\n"
            "        for j in range(W_out):\n"
            "            window = x[i * stride:i * stride + size, j * stride:j * stride + size]\n"
            f"            {body}\n"
            "    return out\n")


def _backward(body: str) -> str:
    return ("def max_pool2d_backward(dout, x, size=2, stride=2):\n"
            "    dx = np.zeros(x.shape)\n"
            "    H_out, W_out, C = dout.shape\n"
            "    channels = np.arange(C)\n"
            "    for i in range(H_out):\n"
            "        for j in range(W_out):\n"
            "            r, c = i * stride, j * stride\n"
            "            window = x[r:r + size, c:c + size]\n"
            "            k = window.reshape(size * size, C).argmax(axis=0)\n"
            f"            {body}\n"
            "    return dx\n")


MUTANTS = {
    "max_pool2d": [
        {"why": "takes the max over the channels too (window.max() without axis)", "expect": "across the channels",
         "source": _max_pool("out[i, j] = window.max()")},
        {"why": "rounds the output size up and keeps partial windows", "expect": "floor",
         "source": _max_pool("out[i, j] = window.max(axis=(0, 1))", shape="-(-(H - size) // stride) + 1")},
        {"why": "swaps size and stride", "expect": "size and stride are swapped",
         "source": ("def max_pool2d(x, size=2, stride=2):\n"
                    "    size, stride = stride, size\n"
                    "    H, W, C = x.shape\n"
                    "    out = np.zeros(((H - size) // stride + 1, (W - size) // stride + 1, C), dtype=x.dtype)\n"
                    "    for i in range(out.shape[0]):\n"
                    "        for j in range(out.shape[1]):\n"
                    "            out[i, j] = x[i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(0, 1))\n"
                    "    return out\n")},
        {"why": "returns (C, H, W), channels first", "expect": "channels last",
         "source": _max_pool("out[i, j] = window.max(axis=(0, 1))", ret="out.transpose(2, 0, 1)")},
        {"why": "starts the maximum from 0 (wrong for negative values)", "expect": "negative",
         "source": _max_pool("out[i, j] = np.maximum(0, window.max(axis=(0, 1)))")},
        {"why": "allocates a float64 output for any input", "expect": "keeps x's dtype",
         "source": _max_pool("out[i, j] = window.max(axis=(0, 1))", dtype="")},
        {"why": "moves the window by size, ignoring stride", "expect": "not by `size`",
         "source": _max_pool("out[i, j] = x[i * size:i * size + size, j * size:j * size + size].max(axis=(0, 1))",
                             shape="(H - size) // size + 1")},
    ],
    "avg_pool2d": [
        {"why": "divides by 4 whatever the window size", "expect": "divided by 4",
         "source": _avg_pool("out[i, j] = window.sum(axis=(0, 1)) / 4")},
        {"why": "allocates with np.zeros_like(x): integer averages are truncated", "expect": "zeros_like",
         "source": _avg_pool("out[i, j] = window.mean(axis=(0, 1))", alloc="np.zeros_like(x, shape=(H_out, W_out, C))")},
        {"why": "averages over the channels too", "expect": "across the channels",
         "source": _avg_pool("out[i, j] = window.mean()")},
        {"why": "divides by size instead of size * size", "expect": "divided by size",
         "source": _avg_pool("out[i, j] = window.sum(axis=(0, 1)) / size")},
        {"why": "keeps partial windows at the border (ceil)", "expect": "floor",
         "source": _avg_pool("out[i, j] = window.mean(axis=(0, 1))", shape="-(-(H - size) // stride) + 1")},
    ],
    "pool2d": [
        {"why": "reshapes into blocks: right only when stride == size", "expect": "sliding_window_view",
         "source": ("def pool2d(x, size=2, stride=2, mode='max'):\n"
                    "    if mode not in ('max', 'avg'):\n"
                    "        raise ValueError(f'mode must be max or avg, got {mode!r}')\n"
                    "    H, W, C = x.shape\n"
                    "    Ho, Wo = H // size, W // size\n"
                    "    blocks = x[:Ho * size, :Wo * size].reshape(Ho, size, Wo, size, C)\n"
                    "    return blocks.max(axis=(1, 3)) if mode == 'max' else blocks.mean(axis=(1, 3))\n")},
        {"why": "treats every mode other than 'max' as 'avg'", "expect": "ValueError",
         "source": ("from numpy.lib.stride_tricks import sliding_window_view\n"
                    "def pool2d(x, size=2, stride=2, mode='max'):\n"
                    "    w = sliding_window_view(x, (size, size), axis=(0, 1))[::stride, ::stride]\n"
                    "    return w.max(axis=(-2, -1)) if mode == 'max' else w.mean(axis=(-2, -1))\n")},
        {"why": "forgets the stride (keeps every window)", "expect": "move the window by `stride`",
         "source": ("from numpy.lib.stride_tricks import sliding_window_view\n"
                    "def pool2d(x, size=2, stride=2, mode='max'):\n"
                    "    if mode not in ('max', 'avg'):\n"
                    "        raise ValueError(mode)\n"
                    "    w = sliding_window_view(x, (size, size), axis=(0, 1))\n"
                    "    return w.max(axis=(-2, -1)) if mode == 'max' else w.mean(axis=(-2, -1))\n")},
        {"why": "reduces over the wrong axes (the channel axis and a window axis)", "expect": "expected shape",
         "source": ("from numpy.lib.stride_tricks import sliding_window_view\n"
                    "def pool2d(x, size=2, stride=2, mode='max'):\n"
                    "    if mode not in ('max', 'avg'):\n"
                    "        raise ValueError(mode)\n"
                    "    w = sliding_window_view(x, (size, size), axis=(0, 1))[::stride, ::stride]\n"
                    "    return w.max(axis=(-3, -1)) if mode == 'max' else w.mean(axis=(-3, -1))\n")},
    ],
    "max_pool2d_backward": [
        {"why": "assigns instead of adding where windows overlap", "expect": "add (`+=`)",
         "source": _backward("dx[r + k // size, c + k % size, channels] = dout[i, j]")},
        {"why": "sends the gradient to every tied maximum", "expect": "first one only",
         "source": _backward("dx[r:r + size, c:c + size] += (window == window.max(axis=(0, 1))) * dout[i, j]")},
        {"why": "spreads the gradient evenly (average pooling's backward)", "expect": "spread the gradient evenly",
         "source": _backward("dx[r:r + size, c:c + size] += dout[i, j] / (size * size)")},
        {"why": "routes a mask of ones, forgetting to multiply by dout", "expect": "multiply by the gradient",
         "source": _backward("dx[r + k // size, c + k % size, channels] += 1")},
        {"why": "finds one maximum over the whole window, all channels together", "expect": "each channel separately",
         "source": _backward("rr, cc, ch = np.unravel_index(window.argmax(), window.shape); "
                             "dx[r + rr, c + cc, ch] += dout[i, j, ch]")},
    ],
}
