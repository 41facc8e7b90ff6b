"""Plausible wrong answers for notebook 3, each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
The other answer cells keep their solutions, so a quiz mutant may call the
solution's ``conv_output_size`` and ``conv_param_count``.
"""

# build_mnist_model's cell uses keras, imported by the notebook's setup cell.
PRELUDE = "from cnnlab import runtime\nruntime.quiet_tensorflow()\nimport keras\n"

_QUIZ = "[(10, 5, 1, 0), (10, 5, 1, 2), (10, 3, 2, 1)]"


def _mnist(conv1="", pool="keras.layers.MaxPool2D(2)", flatten=True, out_activation="softmax"):
    layers = [
        "keras.Input(shape=input_shape)",
        f'keras.layers.Conv2D(10, 5, activation="relu"{conv1})',
        pool,
        'keras.layers.Conv2D(20, 5, activation="relu")',
        pool,
    ] + (["keras.layers.Flatten()"] if flatten else []) + [
        'keras.layers.Dense(100, activation="relu")',
        f'keras.layers.Dense(n_classes, activation="{out_activation}")',
    ]
    body = ",\n        ".join(layers)
    return (f"def build_mnist_model(input_shape=(28, 28, 1), n_classes=10):\n"
            f"    return keras.Sequential([\n        {body},\n    ])\n")


def _table(name, default, conv_layers, fc, conv_params="conv_param_count(f, c, k)", pool_size=None,
           flat="h * w * c", fc_params="(n + 1) * units", flatten_row=False):
    """A mnist_table/alexnet_table answer with one thing changed."""
    pool = pool_size or "conv_output_size(h, f, s, p), conv_output_size(w, f, s, p)"
    return (
        f"def {name}(input_shape={default[0]}, n_classes={default[1]}):\n"
        f"    rows = []\n"
        f"    h, w, c = input_shape\n"
        f"    for kind, k, f, s, p in {conv_layers}:\n"
        f"        if kind == 'conv':\n"
        f"            h, w = conv_output_size(h, f, s, p), conv_output_size(w, f, s, p)\n"
        f"            rows.append(((h, w, k), {conv_params}))\n"
        f"            c = k\n"
        f"        else:\n"
        f"            h, w = {pool}\n"
        f"            rows.append(((h, w, c), 0))\n"
        f"    n = {flat}\n"
        + (f"    rows.append(((n,), 0))\n" if flatten_row else "")
        + f"    for units in {fc}:\n"
        f"        rows.append(((units,), {fc_params}))\n"
        f"        n = units\n"
        f"    return rows\n")


_MNIST_LAYERS = "[('conv', 10, 5, 1, 0), ('pool', None, 2, 2, 0), ('conv', 20, 5, 1, 0), ('pool', None, 2, 2, 0)]"
_ALEX_LAYERS = ("[('conv', 96, 11, 4, 0), ('pool', None, 3, 2, 0), ('conv', 256, 5, 1, 2), ('pool', None, 3, 2, 0), "
                "('conv', 384, 3, 1, 1), ('conv', 384, 3, 1, 1), ('conv', 256, 3, 1, 1), ('pool', None, 3, 2, 0)]")
_MNIST_DEFAULT = ("(28, 28, 1)", 10)
_ALEX_DEFAULT = ("(227, 227, 3)", 1000)


def _mnist_table(**changes):
    changes.setdefault("flatten_row", True)
    return _table("mnist_table", _MNIST_DEFAULT, _MNIST_LAYERS, changes.pop("fc", "(100, n_classes)"), **changes)


def _alexnet_table(**changes):
    return _table("alexnet_table", _ALEX_DEFAULT, changes.pop("layers", _ALEX_LAYERS),
                  changes.pop("fc", "(4096, 4096, n_classes)"), **changes)


MUTANTS = {
    "conv_output_size": [
        {"why": "forgets the +1", "expect": "forgot the +1",
         "source": "def conv_output_size(n, f, stride=1, padding=0):\n"
                   "    if n + 2 * padding < f:\n        raise ValueError('too small')\n"
                   "    return (n - f + 2 * padding) // stride\n"},
        {"why": "true division: 2.33 and floats", "expect": "floor division",
         "source": "def conv_output_size(n, f, stride=1, padding=0):\n"
                   "    if n + 2 * padding < f:\n        raise ValueError('too small')\n"
                   "    return (n - f + 2 * padding) / stride + 1\n"},
        {"why": "rounds up", "expect": "rounded up",
         "source": "def conv_output_size(n, f, stride=1, padding=0):\n"
                   "    if n + 2 * padding < f:\n        raise ValueError('too small')\n"
                   "    return -(-(n - f + 2 * padding) // stride) + 1\n"},
        {"why": "pads one side only", "expect": "BOTH sides",
         "source": "def conv_output_size(n, f, stride=1, padding=0):\n"
                   "    if n + padding < f:\n        raise ValueError('too small')\n"
                   "    return (n - f + padding) // stride + 1\n"},
        {"why": "ignores the padding", "expect": "ignored the padding",
         "source": "def conv_output_size(n, f, stride=1, padding=0):\n"
                   "    if n < f:\n        raise ValueError('too small')\n"
                   "    return (n - f) // stride + 1\n"},
        {"why": "returns a size <= 0 instead of raising", "expect": "raise ValueError",
         "source": "def conv_output_size(n, f, stride=1, padding=0):\n"
                   "    return (n - f + 2 * padding) // stride + 1\n"},
    ],
    "same_padding": [
        {"why": "puts the odd pixel at the start", "expect": "at the END",
         "source": "def same_padding(n, f, stride):\n"
                   "    total = max((-(-n // stride) - 1) * stride + f - n, 0)\n"
                   "    return total, total - total // 2, total // 2\n"},
        {"why": "(F - 1) regardless of the stride", "expect": "only for stride 1",
         "source": "def same_padding(n, f, stride):\n"
                   "    return f - 1, (f - 1) // 2, f - 1 - (f - 1) // 2\n"},
        {"why": "does not clamp at zero", "expect": "clamp at zero",
         "source": "def same_padding(n, f, stride):\n"
                   "    total = (-(-n // stride) - 1) * stride + f - n\n"
                   "    return total, total // 2, total - total // 2\n"},
        {"why": "floors n / stride", "expect": "round UP",
         "source": "def same_padding(n, f, stride):\n"
                   "    total = max((n // stride - 1) * stride + f - n, 0)\n"
                   "    return total, total // 2, total - total // 2\n"},
        {"why": "ceil on both sides, as the OCR'd slide reads", "expect": "split the total",
         "source": "def same_padding(n, f, stride):\n"
                   "    total = max((-(-n // stride) - 1) * stride + f - n, 0)\n"
                   "    return total, -(-total // 2), -(-total // 2)\n"},
    ],
    "quiz_output_volumes": [
        {"why": "types the lecture's answers", "expect": "lecture's numbers",
         "source": "def quiz_output_volumes(input_shape=(32, 32, 3)):\n"
                   "    return [(28, 28, 10), (32, 32, 10), (16, 16, 10)]\n"},
        {"why": "keeps the input depth", "expect": "not the input depth",
         "source": "def quiz_output_volumes(input_shape=(32, 32, 3)):\n"
                   "    height, width, depth = input_shape\n"
                   f"    return [(conv_output_size(height, f, s, p), conv_output_size(width, f, s, p), depth)\n"
                   f"            for k, f, s, p in {_QUIZ}]\n"},
        {"why": "forgets the padding", "expect": "ignored the padding",
         "source": "def quiz_output_volumes(input_shape=(32, 32, 3)):\n"
                   "    height, width, depth = input_shape\n"
                   f"    return [(conv_output_size(height, f, s), conv_output_size(width, f, s), k)\n"
                   f"            for k, f, s, p in {_QUIZ}]\n"},
    ],
    "conv_param_count": [
        {"why": "forgets the bias", "expect": "forgot the biases",
         "source": "def conv_param_count(f, c_in, k, bias=True):\n    return f * f * c_in * k\n"},
        {"why": "one bias for the whole layer", "expect": "not + 1",
         "source": "def conv_param_count(f, c_in, k, bias=True):\n    return f * f * c_in * k + int(bias)\n"},
        {"why": "ignores bias=False", "expect": "bias=False",
         "source": "def conv_param_count(f, c_in, k, bias=True):\n    return (f * f * c_in + 1) * k\n"},
        {"why": "forgets the input depth", "expect": "input depth",
         "source": "def conv_param_count(f, c_in, k, bias=True):\n    return f * f * k + (k if bias else 0)\n"},
        {"why": "a bias per input channel", "expect": "belongs to the filter",
         "source": "def conv_param_count(f, c_in, k, bias=True):\n"
                   "    return (f * f + int(bias)) * c_in * k\n"},
    ],
    "quiz_layer_params": [
        {"why": "types the lecture's answers", "expect": "lecture's number",
         "source": "def quiz_layer_params(input_shape=(32, 32, 3)):\n    return [760, 760, 280]\n"},
        {"why": "counts every output position", "expect": "SHARES",
         "source": "def quiz_layer_params(input_shape=(32, 32, 3)):\n"
                   "    height, width, depth = input_shape\n"
                   "    return [conv_param_count(f, depth, k) * conv_output_size(height, f, s, p)\n"
                   f"            * conv_output_size(width, f, s, p) for k, f, s, p in {_QUIZ}]\n"},
        {"why": "5×5 filters for case 3 too", "expect": "3×3 filters",
         "source": "def quiz_layer_params(input_shape=(32, 32, 3)):\n"
                   "    return [conv_param_count(5, input_shape[2], 10)] * 3\n"},
        {"why": "forgets the biases", "expect": "forgot the biases",
         "source": "def quiz_layer_params(input_shape=(32, 32, 3)):\n"
                   f"    return [conv_param_count(f, input_shape[2], k, bias=False) for k, f, s, p in {_QUIZ}]\n"},
    ],
    "mnist_table": [
        {"why": "copies the slide's typo (100 + 1) × 100", "expect": "typo",
         "source": _mnist_table(fc_params="(n + 1) * 100")},
        {"why": "Conv 2's filters as 5×5×1", "expect": "input has depth 10",
         "source": _mnist_table(conv_params="conv_param_count(f, 1, k)")},
        {"why": "forgets the Dense biases", "expect": "forgot the biases",
         "source": _mnist_table(fc_params="n * units")},
        {"why": "types the lecture's table", "expect": "lecture's numbers",
         "source": "def mnist_table(input_shape=(28, 28, 1), n_classes=10):\n"
                   "    return [((24, 24, 10), 260), ((12, 12, 10), 0), ((8, 8, 20), 5020), ((4, 4, 20), 0),\n"
                   "            ((320,), 0), ((100,), 32100), ((10,), 1010)]\n"},
        {"why": "pools at stride 1", "expect": "ignored the stride",
         "source": _mnist_table(pool_size="conv_output_size(h, f, 1), conv_output_size(w, f, 1)")},
        {"why": "keeps the volume's shape in the Flatten row", "expect": "Flatten turns",
         "source": _mnist_table().replace("rows.append(((n,), 0))", "rows.append(((h, w, c), 0))")},
    ],
    "build_mnist_model": [
        {"why": "lecture 002's input_shape= (warns on stderr)", "expect": "keras.Input",
         "source": _mnist(conv1=", input_shape=input_shape").replace("        keras.Input(shape=input_shape),\n", "")},
        {"why": "padding='same'", "expect": "padding='same' does",
         "source": _mnist(conv1=', padding="same"')},
        {"why": "no softmax", "expect": "softmax",
         "source": _mnist(out_activation="linear")},
        {"why": "forgets Flatten", "expect": "Flatten()",
         "source": _mnist(flatten=False)},
        {"why": "pools at stride 1", "expect": "strides default to the pool size",
         "source": _mnist(pool="keras.layers.MaxPool2D(2, strides=1)")},
    ],
    "alexnet_table": [
        {"why": "FC6 sees 256 inputs instead of 6·6·256", "expect": "9216 inputs",
         "source": _alexnet_table(flat="c")},
        {"why": "the lecture's 35K: weights only", "expect": "35K",
         "source": _alexnet_table(conv_params="conv_param_count(f, c, k, bias=False)")},
        {"why": "no padding on CONV2-5", "expect": "ignored the padding",
         "source": _alexnet_table(layers=_ALEX_LAYERS.replace(", 2)", ", 0)").replace("1, 1)", "1, 0)"))},
        {"why": "types the lecture's table", "expect": "lecture's numbers",
         "source": "def alexnet_table(input_shape=(227, 227, 3), n_classes=1000):\n"
                   "    return [((55, 55, 96), 34944), ((27, 27, 96), 0), ((27, 27, 256), 614656),\n"
                   "            ((13, 13, 256), 0), ((13, 13, 384), 885120), ((13, 13, 384), 1327488),\n"
                   "            ((13, 13, 256), 884992), ((6, 6, 256), 0), ((4096,), 37752832),\n"
                   "            ((4096,), 16781312), ((1000,), 4097000)]\n"},
        {"why": "ceil in the pooling layers", "expect": "rounded up",
         "source": _alexnet_table(pool_size="-(-(h - f) // s) + 1, -(-(w - f) // s) + 1")},
    ],
    "receptive_field": [
        {"why": "ignores the strides", "expect": "jump",
         "source": "def receptive_field(layers):\n    return 1 + sum(k - 1 for k, s in layers)\n"},
        {"why": "multiplies by its own stride too", "expect": "own stride",
         "source": "def receptive_field(layers):\n"
                   "    field, jump = 1, 1\n"
                   "    for k, s in layers:\n"
                   "        jump *= s\n"
                   "        field += (k - 1) * jump\n"
                   "    return field\n"},
        {"why": "no layers gives 0", "expect": "return 1",
         "source": "def receptive_field(layers):\n"
                   "    if not layers:\n        return 0\n"
                   "    field, jump = 1, 1\n"
                   "    for k, s in layers:\n"
                   "        field += (k - 1) * jump\n"
                   "        jump *= s\n"
                   "    return field\n"},
        {"why": "adds the kernel sizes", "expect": "simply add up",
         "source": "def receptive_field(layers):\n    return sum(k for k, s in layers) if layers else 1\n"},
    ],
}
