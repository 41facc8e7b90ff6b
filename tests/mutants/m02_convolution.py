"""Plausible wrong answers for notebook 2, each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
The first version of each is the one the nbgrader round trip submits.
"""

_CONV2D = """def conv2d(image, kernel, stride=1, padding=0):
    padded = np.pad(np.asarray(image, dtype=np.float64), padding)
    kh, kw = kernel.shape
    h_out = (padded.shape[0] - kh) // stride + 1
    w_out = (padded.shape[1] - kw) // stride + 1
    out = np.zeros((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            patch = padded[i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[i, j] = np.sum(patch * kernel)
    return out
"""

_MULTI_LOOPS = """def conv2d_multi_loops(x, w, b, stride=1, padding=0):
    F, _, C, K = w.shape
    xp = np.pad(np.asarray(x, dtype=np.float64), ((padding, padding), (padding, padding), (0, 0)))
    h_out = (xp.shape[0] - F) // stride + 1
    w_out = (xp.shape[1] - F) // stride + 1
    out = np.zeros((h_out, w_out, K))
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[i * stride:i * stride + F, j * stride:j * stride + F, :]
            for k in range(K):
                out[i, j, k] = np.sum(patch * w[:, :, :, k]) + b[k]
    return out
"""

_MULTI = """def conv2d_multi(x, w, b, stride=1, padding=0):
    kh, kw = w.shape[:2]
    xp = np.pad(np.asarray(x, dtype=np.float64), ((padding, padding), (padding, padding), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(0, 1))[::stride, ::stride]
    return np.tensordot(windows, w, axes=([3, 4, 2], [0, 1, 2])) + b
"""

MUTANTS = {
    "answer_toy_4x4": [
        {"why": "fills the output column by column", "expect": "wrong places",
         "source": "answer_toy_4x4 = np.array([[2, 3], [4, 0]])\n"},
        {"why": "writes the whole 3×3 result of the 5×5 example", "expect": "2 × 2",
         "source": "answer_toy_4x4 = np.array([[4, 3, 4], [2, 4, 3], [2, 3, 4]])\n"},
    ],
    "conv2d": [
        {"why": "flips the kernel (mathematical convolution)", "expect": "flipped the kernel",
         "source": _CONV2D.replace("np.sum(patch * kernel)", "np.sum(patch * kernel[::-1, ::-1])")},
        {"why": "creates the output with zeros_like(image) (integer dtype)", "expect": "zeros_like",
         "source": _CONV2D.replace("padded = np.pad(np.asarray(image, dtype=np.float64), padding)",
                                   "padded = np.pad(image, padding)")
                          .replace("out = np.zeros((h_out, w_out))",
                                   "out = np.zeros_like(image)[:h_out, :w_out]")},
        {"why": "moves the window by one pixel whatever the stride", "expect": "move by `stride` pixels",
         "source": _CONV2D.replace("padded[i * stride:i * stride + kh, j * stride:j * stride + kw]",
                                   "padded[i:i + kh, j:j + kw]")},
        {"why": "rounds the output size up", "expect": "round DOWN",
         "source": _CONV2D.replace("h_out = (padded.shape[0] - kh) // stride + 1",
                                   "h_out = -(-(padded.shape[0] - kh) // stride) + 1")
                          .replace("w_out = (padded.shape[1] - kw) // stride + 1",
                                   "w_out = -(-(padded.shape[1] - kw) // stride) + 1")},
        {"why": "ignores padding", "expect": "np.pad(image, padding)",
         "source": _CONV2D.replace("np.pad(np.asarray(image, dtype=np.float64), padding)",
                                   "np.asarray(image, dtype=np.float64)")},
        {"why": "assumes a square kernel", "expect": "kernel may be rectangular",
         "source": _CONV2D.replace("kh, kw = kernel.shape", "kh = kw = kernel.shape[0]")},
    ],
    "conv2d_multi_loops": [
        {"why": "forgets the bias", "expect": "add the bias",
         "source": _MULTI_LOOPS.replace(" + b[k]", "")},
        {"why": "pads the channel axis too", "expect": "Pad only the two spatial axes",
         "source": _MULTI_LOOPS.replace("((padding, padding), (padding, padding), (0, 0))", "padding")},
        {"why": "uses only the first input channel", "expect": "sum over all C input channels",
         "source": _MULTI_LOOPS.replace("np.sum(patch * w[:, :, :, k])",
                                        "np.sum(patch[:, :, 0] * w[:, :, 0, k])")},
        {"why": "takes filter k from the first axis of w", "expect": "filter k is `w[:, :, :, k]`",
         "source": _MULTI_LOOPS.replace("w[:, :, :, k]", "w[k]")},
        {"why": "puts the filters on the first axis of the output", "expect": "LAST axis",
         "source": _MULTI_LOOPS.replace("out = np.zeros((h_out, w_out, K))", "out = np.zeros((K, h_out, w_out))")
                               .replace("out[i, j, k] =", "out[k, i, j] =")},
    ],
    "conv2d_multi": [
        {"why": "pairs the window's rows with the kernel's columns", "expect": "window axes LAST",
         "source": _MULTI.replace("axes=([3, 4, 2], [0, 1, 2])", "axes=([4, 3, 2], [0, 1, 2])")},
        {"why": "vectorises over filters but keeps loops over positions", "expect": "no Python loop",
         "source": _MULTI_LOOPS.replace("def conv2d_multi_loops", "def conv2d_multi")},
        {"why": "forgets the stride", "expect": "floor((H + 2·padding",
         "source": _MULTI.replace("[::stride, ::stride]", "")},
    ],
    "kernel_shift_down": [
        {"why": "puts the 1 below the centre (moves the image up)", "expect": "moves the image up",
         "source": "kernel_shift_down = np.array([[0, 0, 0], [0, 0, 0], [0, 1, 0]])\n"},
        {"why": "copies the lecture's shift-right kernel", "expect": "moves the image right",
         "source": "kernel_shift_down = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 0]])\n"},
        {"why": "a 2 instead of a 1", "expect": "weights sum to 2",
         "source": "kernel_shift_down = np.array([[0, 2, 0], [0, 0, 0], [0, 0, 0]])\n"},
    ],
    "kernel_box_blur_5x5": [
        {"why": "the lecture's 3×3 box blur", "expect": "averages 3×3 = 9 pixels",
         "source": "kernel_box_blur_5x5 = np.ones((3, 3)) / 9\n"},
        {"why": "forgets to divide by 25", "expect": "divide by 25",
         "source": "kernel_box_blur_5x5 = np.ones((5, 5))\n"},
        {"why": "integer division", "expect": "integer division",
         "source": "kernel_box_blur_5x5 = np.ones((5, 5), dtype=int) // 25\n"},
        {"why": "lecture 000's 5×5 kernel with a 3×3 block of ones, normalised", "expect": "averages 3×3",
         "source": "kernel_box_blur_5x5 = np.pad(np.ones((3, 3)), 1) / 9\n"},
    ],
    "kernel_sharpen": [
        {"why": "keeps lecture 002's factor 1/5", "expect": "1/5",
         "source": "kernel_sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]) / 5\n"},
        {"why": "uses an edge detector (weights sum to 0)", "expect": "edge detector",
         "source": "kernel_sharpen = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]])\n"},
        {"why": "sharpens left–right only", "expect": "above and below",
         "source": "kernel_sharpen = np.array([[0, 0, 0], [-1, 3, -1], [0, 0, 0]])\n"},
        {"why": "a one-sided kernel that also shifts the image", "expect": "symmetric",
         "source": "kernel_sharpen = np.array([[0, 0, 0], [0, 3, -1], [0, -1, 0]])\n"},
        {"why": "a blur", "expect": "softer",
         "source": "kernel_sharpen = np.ones((3, 3)) / 9\n"},
    ],
    "kernel_edge": [
        {"why": "the sharpen kernel (weights sum to 1)", "expect": "sum to 0",
         "source": "kernel_edge = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])\n"},
        {"why": "a Sobel kernel: vertical edges only", "expect": "one direction",
         "source": "kernel_edge = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])\n"},
        {"why": "a kernel of zeros", "expect": "all weights are 0",
         "source": "kernel_edge = np.zeros((3, 3))\n"},
    ],
}
