"""Insert the written questions and the "predict, then run" cells into solutions/*.ipynb (issue 15).

Run from the repository root, then commit solutions/ and notebooks/:

    python tools/add_questions.py            # insert (or refresh) every notebook's cells, then `cnnlab release`
    python tools/add_questions.py --check    # exit 1 if solutions/ is not what this script makes

The questions and predictions are data (QUESTIONS, PREDICTIONS below). Each group of new cells is
placed before or after the one existing cell whose source contains an anchor: a text fragment of a
prose cell (or of an experiment's code cell), never of a graded test cell, so that other edits of
the notebooks do not move it. The script is idempotent: it first removes every cell it inserted
earlier (cell metadata ``cnnlab.inserted``), then inserts the current data again. Where a question
replaces a statement that gave its answer away, ``strip`` removes that sentence from the prose (the
model answer now says it); a sentence already gone is skipped. Any anchor that matches no cell, or
more than one, stops the script before anything is written, with a list of what to fix.

Cell formats (the same facts as cnnlab/questions.py and the README's authoring section):

* written question = three cells:
  1. the question, markdown: ``### Question N (P points, written): title`` and the prompt;
  2. the answer cell, markdown, nbgrader *manually graded answer* (``solution`` and ``grade`` true,
     ``points`` P, ``grade_id`` ``q_<topic>_<name>``): between ``### BEGIN SOLUTION`` and
     ``### END SOLUTION``, ``**Model answer.** ...`` then ``**Rubric.**`` and one bullet per
     criterion with its points (:func:`cnnlab.questions.answer_cell_source`). nbgrader's release
     turns the whole cell into ``YOUR ANSWER HERE``;
  3. the reveal cell, code, metadata ``cnnlab.reveal`` = the grade_id: ``reveal("q_...")``; the
     release writes the encoded model answer into it (or not: ``--no-model-answers``).
* prediction = four cells: a markdown prompt, a code cell ``my_prediction_... = None  # e.g. ...``
  (before the experiment), and after it a code cell calling
  :func:`cnnlab.questions.compare_prediction` and a markdown ``**Why.**`` explanation. Not graded.
* one markdown note after each notebook's title cell saying what the written questions are worth.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from cnnlab import questions  # noqa: E402

MARK = "cnnlab"


@dataclass
class Question:
    qid: str                               # nbgrader grade_id, q_<topic>_<name>
    title: str
    prompt: str
    model: str
    rubric: list[tuple[float, str]]
    anchor: str                            # a fragment of the cell the question goes next to
    where: str = "before"                  # "before" or "after" that cell
    strip: list[tuple[str, str]] = field(default_factory=list)  # (anchor, sentence) to remove from prose

    @property
    def points(self) -> float:
        return sum(p for p, _ in self.rubric)


@dataclass
class Prediction:
    var: str
    prompt: str
    hint: str                              # the code cell's comment, e.g. "a number in %, e.g. 50"
    before: str                            # the prediction goes before the cell holding this fragment ...
    after: str                             # ... the comparison after the cell holding this one
    measured: str                          # code that sets `measured`
    what: str
    unit: str
    why: str
    before_where: str = "before"
    after_where: str = "after"
    strip: list[tuple[str, str]] = field(default_factory=list)


def _badge(nb_id: str) -> str:
    return f"/blob/main/notebooks/{nb_id}.ipynb)"


QUESTIONS: dict[str, list[Question]] = {
    "01_knn": [
        Question(
            "q_knn_bright_rows", "what makes a row bright?",
            "In the picture of `dists_l2` above, some rows are bright (large distances) almost all the way "
            "across. What kind of test image gives such a row, and why? What would a column that is bright "
            "all the way down mean?",
            "A row holds one test image's L2 distances to every training image, so a bright row is a test "
            "image far from almost every training image. Pixel distances measure brightness and colour "
            "pixel by pixel, not content: a very dark or a very bright image (or one of a single saturated "
            "colour) differs from typical images in nearly every pixel, so it is far from all of them, "
            "whatever its class. A bright column is the same for a training image: one unlike most test "
            "images, e.g. very dark or very bright.",
            [(1, "a row = one test image's distances to all training images, so bright = far from almost "
                 "all of them (and a column = the same for one training image)"),
             (1, "the cause is overall intensity or colour (very dark, very bright, unusual colour or "
                 "contrast), not the object: pixel distance compares values pixel by pixel")],
            anchor="### Exercise 6 (3 points): all L1 distances",
            strip=[("Now the whole matrix, with the fast version.",
                    " Rows that are bright everywhere are test images unlike most of the\n"
                    "training set (e.g. very dark or very bright ones).")]),
        Question(
            "q_knn_l1_vs_l2", "why does L1 beat L2 here?",
            "Cross-validation picked L1 over L2, and L1 also did better on the test set at k = 1. Using how "
            "the two distances treat differences, explain why L1 can match CIFAR-10 images of the same "
            "class better than L2. How large and how consistent is the advantage in your printed numbers, "
            "compared with the spread over the folds?",
            "L2 squares each pixel difference before adding, so a few large differences dominate the "
            "distance; L1 adds them in proportion. Two photos of the same class typically agree roughly in "
            "many pixels but differ strongly in some regions: another background, a shifted object, a "
            "shadow. L2 punishes those regions much more than L1 does, so under L2 the nearest neighbour is "
            "more often an image with similar overall colour and layout, and under L1 one that agrees in "
            "more of its pixels. The advantage is small but consistent: in our run L1 was ahead at every k "
            "of the cross-validation (28.5 % vs 27.0 % at the best k = 10, 0.8 to 2.5 points at each k), "
            "and on the test set at k = 1 (29.3 % vs 26.7 %); a point or two is of the order of the "
            "fold-to-fold spread in the plot, so what convinces is that it holds at every k, not its size.",
            [(1, "L2 squares differences, so a few large pixel differences (background, shift, lighting) "
                 "dominate; L1 is less sensitive to them"),
             (1, "connects it to images of one class that differ strongly in a few regions, or to "
                 "robustness to such outliers"),
             (1, "reads the numbers: small gap (a point or two), but consistent across k / folds, "
                 "compared with the fold spread")],
            anchor="## Why kNN on raw pixels is never used"),
    ],
    "02_convolution": [
        Question(
            "q_conv_weight_sharing", "what a convolution gives up",
            "A dense layer on a 28×28 digit has 614,656 weights, the convolution layer 260. Name the two "
            "things a dense layer can do that a convolution layer cannot, and explain why giving them up "
            "helps on images rather than hurts.",
            "A convolution output sees only a small patch (local connectivity), so it cannot combine "
            "distant pixels in one layer, and it uses the same weights at every position (weight sharing), "
            "so it cannot treat the top-left corner differently from the centre. On images both are the "
            "right restrictions: the patterns that matter first (edges, strokes, corners) are local, and "
            "they can appear anywhere, so a detector learned in one place is useful everywhere "
            "(translation equivariance). With 260 instead of 614,656 weights the layer needs far less data "
            "to learn them and overfits less; larger patterns are built by stacking layers.",
            [(1, "names both restrictions: local patches only, and the same weights at every position"),
             (1, "why that helps: image patterns are local and can appear anywhere, so far fewer weights "
                 "(less data, less overfitting) and a detector works everywhere")],
            anchor="## 2-D convolution, step by step"),
        Question(
            "q_conv_response_not_proof", "a large response is not a match",
            "The curve detector gives 6600 on the lecture's window and even 9000 one pixel lower. What "
            "would it give on a patch where every pixel is 50, with no curve at all? What does that say "
            "about reading a convolution's output as \"the pattern is here\", and what do learned filters "
            "and the layers after them do about it?",
            "The output is a dot product, not a similarity score: every bright pixel under a positive "
            "weight adds to it. Under a uniform patch of 50s all six weights of 30 meet a 50, so it also "
            "gives 6 · 30 · 50 = 9000, as much as the best match: brightness alone drives the response. "
            "A large value therefore means \"bright where the weights are positive\", not \"this curve\". "
            "Learned filters also have negative weights (pixels that should be dark), so a flat region "
            "cancels out (like the edge kernel, whose weights sum to 0), and the bias, the ReLU and the "
            "next layers compare responses with each other rather than trusting one number.",
            [(1, "computes or argues that a uniform bright patch gives as much (9000): the response grows "
                 "with brightness, not only with the pattern"),
             (1, "consequence: negative weights / weights summing to 0, bias and ReLU, later layers "
                 "comparing responses")],
            anchor="## Several channels in, several filters out"),
    ],
    "03_conv_arithmetic": [
        Question(
            "q_arith_params_vs_size", "what the parameter count ignores",
            "The quiz layers have 760, 760 and 280 parameters, although their outputs are 28×28×10, "
            "32×32×10 and 16×16×10. Explain why the image size, the stride and the padding do not enter "
            "the count, and where they do enter: what grows with the image size instead?",
            "Each filter is one set of F·F·C_in weights plus a bias, used at every position of the input "
            "(parameter sharing), so the count is (F·F·C_in + 1)·K: 5·5·3 + 1 = 76 times 10 = 760 for the "
            "first two layers, (3·3·3 + 1)·10 = 280 for the third. Size, stride and padding only decide at "
            "how many positions the same filters are applied: they set the output's height and width, and "
            "with it the number of multiply-adds (and the memory for the activations), which grow with "
            "the image while the weights do not.",
            [(1, "parameters = (F·F·C_in + 1)·K, the same filters reused at every position (sharing)"),
             (1, "size/stride/padding change the number of positions: output size, computation, memory")],
            anchor="## 5. Lecture 002's MNIST network, layer by layer"),
        Question(
            "q_arith_params_vs_ops", "weights in FC, work in conv",
            "AlexNet has 96 % of its parameters in the fully connected layers, but 92 % of its "
            "multiply-adds in the convolution layers. Explain both with the formulas of this notebook, "
            "using one convolution layer and one dense layer as examples.",
            "A dense layer uses each weight once per image: FC6 connects 6·6·256 = 9,216 inputs to 4,096 "
            "outputs, about 37.7 million weights and as many multiply-adds. A convolution weight is "
            "reused at every output position: CONV1 has (11·11·3 + 1)·96 ≈ 35 thousand weights, but each "
            "is applied at 55·55 = 3,025 positions, about 105 million multiply-adds. Multiply-adds of a "
            "layer = weights × positions; positions are 1 for a dense layer and thousands for early conv "
            "layers, so convolutions hold few weights and do most of the work, dense layers the reverse.",
            [(1, "dense: inputs × outputs weights, each used once per image (with an example)"),
             (1, "conv: few weights, each reused at every output position, so operations = weights × "
                 "positions (with an example)")],
            anchor="## Summary\n\n* **Output size** along one axis"),
    ],
    "04_pooling": [
        Question(
            "q_pool_shift_curve", "why the max-pooling curve falls",
            "Read your table: why does the relative change after max pooling fall as k grows, while keeping "
            "every k-th value (what a stride-k convolution computes) does not fall at all? What does a large "
            "pooling window cost in exchange?",
            "Edges are thin, so shifted by one pixel they land on other positions and the feature map "
            "changes by about as much as itself (≈ 96 %). A k×k max keeps the largest value in each window; "
            "after a one-pixel shift that maximum usually stays inside the same window (it leaves only "
            "when it sat on the window's border, about one time in k), so the pooled map barely changes: "
            "≈ 60 % at k = 2, ≈ 28 % at 4×4, less for larger k. Keeping every k-th value just samples the "
            "unpooled map at fixed positions, and each sample changes as much as the map does: the curve "
            "stays at or above 96 %. The cost: a larger window throws away more of where things are, "
            "k² values become one.",
            [(1, "a one-pixel shift moves thin edges to other positions; a window's maximum usually stays "
                 "in the same window, and more often the larger the window"),
             (1, "subsampling every k-th value has no window to absorb the shift, so it is as sensitive as "
                 "the unpooled map"),
             (1, "the price: position information (resolution) is lost as the window grows")],
            anchor="The next figure shows one image: its feature map, the map of the shifted image",
            strip=[("Without pooling, a one-pixel shift changes the edge map",
                    " A 2×2 max\npooling cuts that to about 60 %: within a window, a maximum that moves "
                    "by one pixel often stays in the\nsame window. Larger windows help more (≈ 28 % at 4×4), "
                    "but also throw away more of *where* things\nare. Taking every k-th value, as a strided "
                    "convolution does, gives **no** such robustness: the curve\nstays at or above 96 %.")]),
        Question(
            "q_pool_gradient_share", "why 24.9 % and not 25 %",
            "With 2×2 windows at stride 2, the cat's edge map had 24.9 % of its inputs receive a gradient. "
            "Why about one in four, and why slightly less than 25 %? (The edge map is 298×449.)",
            "Each window sends its whole gradient to one input, the position of its maximum, and 2×2 "
            "windows at stride 2 tile the map without overlap: one input in four. The map is 298×449: "
            "449 is odd, so the floor rule drops the last column, which lies in no window and gets no "
            "gradient at all. 149·224 = 33,376 windows over 298·449 = 133,802 inputs is 24.9 %.",
            [(1, "one maximum per non-overlapping 2×2 window receives the gradient: one in four"),
             (1, "the odd width: the last column is in no window (floor rule), so slightly under 25 %")],
            anchor="## Summary\n\n* **Pooling** summarises"),
    ],
    "05_learning_the_kernel": [
        Question(
            "q_kernel_add_not_assign", "why dx adds",
            "Your backward pass adds (`+=`) into dx, and in the toy example the middle pixels collect four "
            "shares. Explain from the forward pass why the shares must add up, and what the gradient check "
            "would show if dx used `=` instead.",
            "In the forward pass one input pixel takes part in every window that covers it, and each of "
            "those outputs depends on it through its own weight. By the chain rule the derivative of the "
            "loss with respect to that pixel is the sum over all those outputs of dout times the weight "
            "that met the pixel, so the contributions must be added. With `=` each pixel keeps only the "
            "last window's share: pixels covered by one window would still be right, but the overlapped "
            "ones (the middle pixels here) would be too small, and the gradient check would report dx "
            "wrong at those indices while dw and db still pass.",
            [(1, "a pixel feeds several outputs (overlapping windows); chain rule: sum of their "
                 "contributions"),
             (1, "with = only the last share survives: the check flags dx at overlapped pixels, "
                 "dw and db unaffected")],
            anchor="### Exercise 2 (3 points): `conv2d_backward` without loops"),
        Question(
            "q_kernel_needs_texture", "what the training image must contain",
            "Gradient descent recovered the sharpen, edge and box-blur kernels from a photo. Would it still "
            "recover them if the training image were a flat grey image (every pixel the same)? Explain "
            "with what the loss can and cannot \"see\".",
            "No. On a flat image every window is the same constant patch, so the output is that constant "
            "times the sum of the kernel's weights, plus the bias. Any kernel with the same sum (and bias) "
            "gives exactly the same output and the same loss, so the loss can only pin down the sum, and "
            "every weight gets the same gradient. Sharpen and box blur both sum to 1: on a flat image they "
            "cannot be told apart. The photo works because its edges and textures make each weight change "
            "the output in a different way, so only the true kernel reaches zero loss.",
            [(1, "a flat image only constrains the sum of the weights (and the bias): many kernels fit "
                 "equally well"),
             (1, "identification needs varied input (edges, texture) so that each weight has a distinct "
                 "effect")],
            anchor="## The same with Keras"),
    ],
    "06_keras_cnn": [
        Question(
            "q_cnn_confusions", "which classes does it confuse?",
            "Read your confusion matrix: which pairs of classes does the network confuse most often? Why "
            "those pairs, and why are a cat and a truck rarely confused? How could you test your explanation "
            "with the trained network itself?",
            "Typical confusions are cat ↔ dog, airplane ↔ ship, automobile ↔ truck and the animals among "
            "themselves: classes that share shapes, textures and backgrounds (sky, water, grass) at 32×32 "
            "pixels. A small CNN trained for a few epochs relies on such cues (colour, background, rough "
            "shape), and they separate vehicles from animals well but not a cat from a dog, whose "
            "difference is in details that 32×32 pixels barely show. Vehicles and animals are confused "
            "with each other much less often. To test it: look at the misclassified images of a confused "
            "pair (do they share a background or a pose?), or cover parts of them, as the occlusion maps at "
            "the end of this notebook do: if covering the water changes \"ship\" more than covering the "
            "ship, the network relies on the background.",
            [(1, "names the main confused pairs from the matrix (e.g. cat/dog, automobile/truck, "
                 "airplane/ship)"),
             (1, "explains with shared shape, texture or background at low resolution, versus classes "
                 "that differ in those cues"),
             (1, "a concrete test with the network: inspect the confused images, or occlude the object "
                 "versus the background and compare the drop in the class's probability")],
            anchor="**Misclassified test images.**",
            strip=[("**Misclassified test images.**",
                    "Typical confusions are cat ↔ dog, airplane ↔ ship, automobile ↔ truck and the animals "
                    "among themselves:\nclasses that share shapes, textures and backgrounds (sky, water, "
                    "grass) at 32×32 pixels. Vehicles and\nanimals are confused with each other much less "
                    "often.\n\n")]),
        Question(
            "q_cnn_vs_knn", "60 % against 30 %",
            "On the same kind of CIFAR-10 subset, kNN on pixels reached about 30 % (notebook 1) and this "
            "CNN about 60 %. Give two properties of the CNN that explain the difference, and tie each to "
            "something you saw: in this notebook, or in notebooks 1 and 4.",
            "First, the CNN learns its features from the labels: its filters change during training and "
            "its feature maps respond to edges and parts, whereas kNN compares raw pixels, a distance "
            "dominated by colour and layout (notebook 1's neighbours shared a sky or a background, not "
            "the object). Second, convolutions share weights and pooling tolerates small shifts "
            "(notebook 4: a one-pixel shift changed a 2×2 max-pooled map much less), while in pixel space a "
            "4-pixel shift moved the cat as far as black boxes or a tint did (notebook 1's last cell).",
            [(1, "learned, label-driven features versus a fixed pixel distance dominated by colour and "
                 "layout, with evidence"),
             (1, "weight sharing and pooling give tolerance to shifts, versus pixel distance that a "
                 "small shift changes a lot, with evidence")],
            anchor="## What did the network learn?"),
    ],
    "07_case_studies": [
        Question(
            "q_case_bn_modes", "batch norm on one image",
            "Someone evaluates a trained network with batch normalisation on single test images, but calls "
            "it in training mode. What goes wrong, and why does inference mode fix it?",
            "In training mode the layer standardises each channel with the mean and variance of the current "
            "batch. With a batch of one image those are that image's own statistics: whatever the image, "
            "each channel comes out with mean 0 and variance 1 over its pixels, so overall differences "
            "between images (how strongly a channel responds) are erased, and the same image gives "
            "different outputs in different batches. The predictions are then wrong or inconsistent. In "
            "inference mode the layer uses the moving averages of mean and variance collected during "
            "training: a fixed transformation, the same for every image, so each prediction depends on "
            "that image alone.",
            [(1, "training mode uses the batch's statistics: with one image they are its own, so its "
                 "channels are standardised away / outputs depend on the batch"),
             (1, "inference mode uses the moving averages from training: fixed, per-image, deterministic")],
            anchor="### Ensembles: several networks vote"),
        Question(
            "q_case_bottleneck", "where the 1×1 savings come from",
            "Inception (3a) has 163,696 weights with its 1×1 reductions and 387,296 without, although the "
            "reductions add layers. Work out the 5×5 branch both ways (192 input channels, 32 filters of "
            "5×5, a reduction to 16 channels) and explain where the saving comes from.",
            "Without the reduction the 5×5 branch has 5·5·192·32 = 153,600 weights (+32 biases): every 5×5 "
            "filter spans all 192 input channels. With a 1×1 convolution to 16 channels first, it has "
            "1·1·192·16 = 3,072 (+16) for the reduction and 5·5·16·32 = 12,800 (+32) for the 5×5, 15,920 in "
            "all, about ten times fewer. The expensive F·F factor now multiplies 16 channels instead of "
            "192; the cheap 1×1 layer does the channel mixing. The multiply-adds shrink by the same factor, "
            "since each weight is used at every one of the 28×28 positions.",
            [(1, "the 5×5 branch computed both ways (≈ 153.6 k vs ≈ 15.9 k weights)"),
             (1, "the saving: F·F now multiplies the reduced channel count; 1×1 convolutions mix channels "
                 "cheaply (same factor for the operations)")],
            anchor="### ResNet's residual block"),
    ],
    "08_augmentation": [
        Question(
            "q_aug_gap", "what augmentation did to the gap",
            "Read your table of the controlled experiment. What did augmentation do to the training "
            "accuracy, the test accuracy and the gap between them? Did the gap shrink because the network "
            "generalised better or for another reason, and what would you change for augmentation to raise "
            "the test accuracy?",
            "Augmentation lowered the training accuracy a lot (65.9 % → 48.5 % in our run) and the gap much "
            "more than the test accuracy moved (16.7 → 4.3 points), but the test accuracy fell too "
            "(49.1 % → 44.3 %, lower with every seed). So the gap shrank because the network could no "
            "longer memorise its 2,000 training images, which it sees in a new version every epoch, not "
            "because it did better on new images. With training accuracy only about 4 points above test "
            "accuracy it underfits: 10 epochs are too few to fit the harder, ever-changing data. "
            "Augmentation is a regulariser; it pays off when the network gets more training (or capacity): "
            "with 40 epochs the reference run gained about 4 points of test accuracy.",
            [(1, "the numbers: training accuracy down, gap down, test accuracy down too (from the table)"),
             (1, "the gap shrank through lower training accuracy: the network cannot memorise augmented "
                 "images; it now underfits"),
             (1, "a remedy: train longer or a bigger network (augmentation pays off with more training)")],
            anchor="**What it means.** Read the conclusions the cell printed"),
        Question(
            "q_aug_label_preserving", "augmentations that change the label",
            "Would you use this notebook's augmenter unchanged to train an MNIST digit classifier? Which of "
            "its transformations would you drop or restrict, and why? State the rule that decides.",
            "An augmentation must keep the label. A mirrored cat is still a cat, but a mirrored digit is "
            "often not a digit of the same class (a mirrored 2, 3, 5, 7 looks wrong or like another "
            "symbol), so the horizontal flip must go. Rotation must stay small: rotated by 180° a 6 becomes "
            "a 9 (±18° is fine). Random crops that push a stroke out of the 28×28 frame can erase what "
            "makes the digit; shifts of a pixel or two are safe. Brightness and contrast hardly matter on "
            "black-and-white digits. The rule: use only the changes that the real test images can show "
            "without changing their class.",
            [(1, "drops the horizontal flip (mirrored digits change class or are not digits), and limits "
                 "rotation (6 ↔ 9) or large crops"),
             (1, "states the rule: an augmentation must preserve the label / reflect variation of real "
                 "data")],
            anchor="## Summary\n\n* **Data augmentation**"),
    ],
    "09_transfer_learning": [
        Question(
            "q_transfer_freeze_first", "freeze first, then fine-tune",
            "Why does transfer learning first train only the new head on a frozen base, and only then "
            "unfreeze the top layers with a small learning rate, instead of training the whole network "
            "from the start? Why do the BatchNorm layers stay frozen?",
            "The new head starts random, so its first gradients are large and uninformative; flowing into "
            "an unfrozen base they would change its pre-trained weights in random directions and destroy "
            "the features we came for. With the head trained first, the gradients that reach the base are "
            "meaningful, and a small learning rate lets the top layers adapt to task B without forgetting. "
            "Training all weights on a few hundred labels would also overfit: the base has far more "
            "weights than the labels can determine, the frozen model only (c+1)·k. BatchNorm layers keep "
            "the mean and variance from task A: updated on small batches of a different task they would "
            "shift the inputs of every later layer away from what those layers learned to expect.",
            [(1, "a random head's large gradients would wreck the pre-trained features; train it first, "
                 "then fine-tune gently"),
             (1, "few labels versus many weights: training everything overfits"),
             (1, "BatchNorm statistics of task A would be replaced by noisy small-batch ones, shifting "
                 "what later layers receive")],
            anchor="## The experiment: does pre-training pay off?"),
        Question(
            "q_transfer_few_labels", "when transfer pays off",
            "The frozen-base model trains (c+1)·k weights; the network trained from scratch trains all of "
            "its weights. Using that, explain why pre-training should help most when task B has few labels "
            "per class, and why its advantage shrinks (or disappears) with many labels. Then say whether "
            "your experiment's table supports this, and how sure it lets you be.",
            "With few labels a network trained from scratch must learn all its weights, features included, "
            "from a handful of images per class: it overfits and its features are poor. The frozen base "
            "brings features learned from many images of task A, and only the head's (c+1)·k weights (258 "
            "offline) must come from task B's labels, which few labels can determine. With many labels the "
            "network trained from scratch can learn features made for task B itself (here deer versus "
            "truck, classes task A never saw), so it catches up with, and can overtake, features learned "
            "for another task. The experiment supports the first half: with 10 labels per class both "
            "transfer methods beat training from scratch in every seed, by more than twice the "
            "seed-to-seed spread of the paired differences; with three seeds that spread is itself rough, "
            "and the second half (many labels) was not measured here (bench/transfer.py does).",
            [(1, "few labels: from scratch must learn features from too little data (overfits); the "
                 "frozen base needs only the head's few weights"),
             (1, "many labels: from scratch learns task-specific features and catches up; A's features "
                 "were made for other classes"),
             (1, "reads the measured gains against their seed-to-seed spread (paired by seed) and says what "
                 "three seeds and one label budget can and cannot show")],
            anchor="## Summary"),
    ],
    "10_representation_learning": [
        Question(
            "q_repr_knn_mnist_cifar", "why kNN works on MNIST but not on CIFAR-10",
            "kNN on raw pixels classifies MNIST digits well (about 94 % in this notebook) but CIFAR-10 "
            "photos badly (about 30 %, notebook 1). Explain the difference with this notebook's contrast "
            "measurement and the manifold idea.",
            "Distances are only useful when the nearest points are really closer than the rest and "
            "closeness reflects the class. MNIST's contrast is that of random data in about 17 dimensions, "
            "far above shuffled MNIST's: its digits lie near a low-dimensional manifold, centred, upright, "
            "black strokes on a zero background, so pixel distance mostly measures differences of stroke "
            "shape, which is what the class is. CIFAR-10 photos vary in background, pose, position, colour "
            "and lighting; pixel distance is dominated by these nuisances (notebook 1: a 4-pixel shift is "
            "as far as black boxes), so the nearest photo often shares a background, not the object.",
            [(1, "MNIST lies near a low-dimensional manifold (contrast far above random/shuffled): "
                 "distances stay informative and reflect stroke shape"),
             (1, "CIFAR-10: pixel distance dominated by background, position, colour, lighting, so "
                 "neighbours share those rather than the class")],
            anchor="### Exercise 3"),
        Question(
            "q_repr_nonlinear_codes", "when non-linearity matters",
            "With 2 numbers per digit the autoencoder's codes beat PCA's in kNN accuracy by about 9 "
            "points (51.5 % vs 42.6 % on our reference run); with 16 numbers the two are within about a "
            "point (95.7 % vs 94.4 %). Why does a non-linear code matter most when the code is very short? "
            "And which digits does PCA's 2-D picture keep apart all the same, and why those?",
            "PCA can only project onto a flat subspace. The digits lie on a curved manifold, so in 2 "
            "dimensions the best flat plane still lays different digits on top of each other (only the 0s "
            "and 1s stand apart). The autoencoder can bend and fold its map, placing parts of the curved "
            "manifold side by side, so with the same 2 numbers it keeps more classes apart. With 16 "
            "dimensions a flat subspace already keeps most of the variance and most of what separates the "
            "classes, so there is little left for the non-linearity to add. PCA's first components are the "
            "directions of largest variance, mostly how much ink there is and where: a 0 (a wide ring) and "
            "a 1 (a thin stroke) differ most along them, so they stay apart even in a flat 2-D projection.",
            [(1, "PCA is a linear projection; the data manifold is curved, so 2 linear dimensions mix "
                 "classes"),
             (1, "the autoencoder can fold the manifold into 2 dimensions; with 16 dimensions a linear "
                 "subspace already keeps nearly everything"),
             (1, "PCA still separates 0s and 1s: they differ most along the largest-variance directions "
                 "(amount and place of ink)")],
            anchor="## Summary"),
    ],
    "11_capstone": [
        Question(
            "q_capstone_budget", "what the budget bought",
            "Name the one design choice that bought the most accuracy within the 3 CPU minutes (compared "
            "with your first attempt, or with notebook 6's first CNN), with the numbers you measured: CPU "
            "seconds per epoch and public accuracy before and after. Then say what you would change with "
            "30 minutes instead of 3, and why that change does not pay off within 3.",
            "With a fixed budget, accuracy is a trade between capacity and epochs: a bigger network learns "
            "more per epoch but gets fewer epochs. The solution spends its budget on a network of about "
            "114,000 weights with batch normalisation (faster, steadier training at a given learning rate) "
            "and random flips and crops (a smaller gap between training and test accuracy), trained for 12 "
            "epochs in about 125 CPU seconds, which reached about 61 % on the public half. With 30 minutes "
            "one would widen and deepen the network and train it for many more epochs with the same "
            "augmentation: augmentation pays off only over many epochs, and a wider network converges "
            "slower per second, so within 3 minutes either would stop before it overtakes the small one.",
            [(1, "names one concrete change and supports it with their own measurements (seconds per epoch, "
                 "accuracy before and after)"),
             (1, "explains the capacity-versus-epochs trade under a fixed budget: what more time would buy "
                 "and why it does not fit in 3 minutes")],
            anchor="## Summary"),
    ],
}

PREDICTIONS: dict[str, list[Prediction]] = {
    "01_knn": [Prediction(
        "my_prediction_one_loop_speedup",
        "How many times faster than the two-loop version will the **one-loop** version be, per test image?",
        "how many times faster, e.g. 10",
        before="def seconds_per_image(fn, X, repeat=2):", after="def seconds_per_image(fn, X, repeat=2):",
        measured='measured = per_image["two loops"] / per_image["one loop"]',
        what="one loop's speed-up over two loops", unit="×",
        why="Removing the inner loop did not remove the work: each iteration now builds a 5,000 × 3,072 "
            "temporary array (about 120 MB in float64) and moves it through memory, and moving that much "
            "memory costs about as much as the Python loop it replaced. The no-loop version wins because "
            "one matrix product (BLAS) reuses data in the CPU's caches instead of writing huge temporaries.",
        strip=[("### How much faster?",
                " The one-loop\nversion is often *not* faster than two loops: each iteration builds a "
                "5,000 × 3,072 temporary array, and\nmoving that much memory costs more than the interpreter "
                "saves.")])],
    "04_pooling": [Prediction(
        "my_prediction_pooled_change",
        "A one-pixel shift changes the unpooled edge map by almost 100 % of its size (edges are thin). By "
        "how much will it change the map after **2×2 max pooling**, in percent?",
        "a percentage, e.g. 50",
        before="def relative_change(a, b):", after="def relative_change(a, b):",
        measured='measured = 100 * change["max pooling"][1]  # k = 2',
        what="relative change after 2×2 max pooling", unit=" %",
        why="Many people guess either \"no change\" (pooling is said to give invariance) or \"as much as "
            "without pooling\". The measurement lies in between (about 60 % in our run): pooling makes the "
            "features *less* sensitive to a small shift, not insensitive. Question 1 below asks you why, and "
            "why the curve keeps falling for larger windows.")],
    "05_learning_the_kernel": [Prediction(
        "my_prediction_best_h_exponent",
        "For the centred difference of x³ at x = 1, which step h gives the **smallest** error? Give the "
        "exponent: −8 means h = 1e-8.",
        "an exponent, e.g. -8",
        before="f = lambda x: x ** 3", after="f = lambda x: x ** 3",
        measured="measured = round(float(np.log10(best)), 1)",
        what="best step h, as a power of ten", unit="",
        why="The centred difference's truncation error falls like h², while rounding error grows like "
            "ε / h (ε ≈ 1e-16: the two values subtracted agree in more and more digits). The total is "
            "smallest where they balance, h ≈ ε^(1/3), a few times 1e-6, not at the smallest h: going "
            "smaller makes the estimate worse.")],
    "07_case_studies": [Prediction(
        "my_prediction_deeper_plain_loss",
        "The 14-layer plain network has every layer of the 4-layer one and more. After the same training, "
        "will its **training** loss be \"lower\" or \"higher\" than the 4-layer network's?",
        '"lower" or "higher"',
        before="def block_net(n_blocks, shortcut", after="def block_net(n_blocks, shortcut",
        measured=('_loss = {name: np.mean([loss for loss, _ in runs]) for name, runs in depth_runs.items()}\n'
                  'measured = "higher" if _loss["plain, 14 layers"] > _loss["plain, 4 layers"] else "lower"'),
        what="the 14-layer plain network's training loss, against the 4-layer one's", unit="",
        why="A deeper network could copy the shallower one and make its extra layers the identity, so it "
            "should fit at least as well. In practice the optimiser does not find that solution: through "
            "many plain layers of convolutions and ReLUs the gradients reaching the early layers are weak "
            "and the identity is hard to learn. That is the degradation problem, and residual connections "
            "make the identity the easy default.")],
    "08_augmentation": [Prediction(
        "my_prediction_test_change",
        "With 10 epochs of training, will augmentation **raise or lower the test accuracy**, and by how many "
        "points? (+3 means 3 points higher with augmentation.)",
        "points of test accuracy, e.g. +3 or -2",
        before="The next cell runs the experiment: for each seed", before_where="after",
        after="**What it means.** Read the conclusions the cell printed", after_where="before",
        measured=('measured = 100 * float(np.mean([w["test"] - wo["test"]\n'
                  '                                  for w, wo in zip(results[True], results[False])]))'),
        what="change in test accuracy from augmentation (points, paired by seed)", unit=" points",
        why="Most people expect augmentation to raise the test accuracy. At this short budget (10 epochs) "
            "it did not in our run: it lowered it, with every seed. Question 1 below asks you to explain "
            "this from the whole table, before the text after it does.")],
    "09_transfer_learning": [Prediction(
        "my_prediction_knn_embeddings",
        "kNN on raw pixels tells deer from trucks only somewhat better than chance (50 %): about 63 % in "
        "our run. What test accuracy will kNN reach on the frozen base's **embeddings**, from a base that "
        "never saw a deer or a truck, in percent?",
        "a percentage, e.g. 60",
        before="from sklearn.decomposition import PCA", after="from sklearn.decomposition import PCA",
        measured='measured = 100 * knn_accuracy["embeddings"]',
        what="10-NN test accuracy on the embeddings", unit=" %",
        why="The base was trained to tell other classes apart, among them a horse from an automobile, and "
            "the features it needed for that (legs and bodies, wheels, windows, straight edges) also tell a "
            "deer from a truck, while pixel distances mostly compare colour and background. How much the "
            "embeddings gain depends on how well the base was pre-trained: the text below compares the two "
            "numbers.")],
    "10_representation_learning": [Prediction(
        "my_prediction_mnist_contrast_ratio",
        "Shuffling each pixel's column keeps every pixel's values but destroys the strokes. How many times "
        "larger will the real digits' contrast be than the shuffled digits' (1 = the same)?",
        "a ratio, e.g. 2",
        before="sample = X_train[:min(1000, len(X_train))]", after="sample = X_train[:min(1000, len(X_train))]",
        measured="measured = float(ratio)",
        what="MNIST's contrast divided by shuffled MNIST's", unit="×",
        why="Shuffled digits are 784 nearly independent pixels, so their distances concentrate like random "
            "data's. Real digits are made of strokes: neighbouring pixels move together, and the digits "
            "vary along few directions, so nearest and farthest neighbours stay far apart. That is the "
            "manifold hypothesis in one number.")],
}

INTRO = ("**Written questions and predictions.** Besides the code exercises, this notebook asks {n} short "
         "written question{s} ({points:g} points in all) that need reasoning rather than code: answer each in "
         "your own words in the cell under it. In a graded class they are graded by hand; working alone, run "
         "the cell under your answer to compare it with a model answer. Cells marked **Predict, then run** "
         "ask you to write down what you expect before an experiment; predictions are never graded.")


def _meta(tag: str, **extra) -> dict:
    return {MARK: {"inserted": tag, **extra}}


def question_cells(number: int, q: Question) -> list:
    """The question, its answer cell and its reveal cell."""
    nbg = {"grade": True, "grade_id": q.qid, "locked": False, "points": q.points, "schema_version": 3,
           "solution": True}
    return [
        new_markdown_cell(f"### Question {number} ({q.points:g} points, written): {q.title}\n\n{q.prompt}\n\n"
                          "*Answer in the next cell, in a few sentences of your own.*",
                          metadata=_meta(q.qid)),
        new_markdown_cell(questions.answer_cell_source(q.model, q.rubric),
                          metadata={**_meta(q.qid), "nbgrader": nbg}),
        new_code_cell(questions.reveal_source(q.qid, None), metadata=_meta(q.qid, reveal=q.qid)),
    ]


def prediction_cells(p: Prediction) -> tuple[list, list]:
    """(cells before the experiment, cells after it)."""
    before = [
        new_markdown_cell(f"**Predict, then run.** {p.prompt} Write it in the next cell *before* you run the "
                          "experiment (leave `None` to skip). It is not graded.", metadata=_meta(p.var)),
        new_code_cell(f"{p.var} = None  # your prediction: {p.hint}", metadata=_meta(p.var)),
    ]
    after = [
        new_code_cell("from cnnlab.questions import compare_prediction\n\n"
                      f"{p.measured}\ncompare_prediction({p.var}, measured, what={p.what!r}, unit={p.unit!r})",
                      metadata=_meta(p.var)),
        new_markdown_cell(f"**Why.** {p.why}", metadata=_meta(p.var)),
    ]
    return before, after


def _find(cells, fragment: str, problems: list[str], nb_id: str) -> int | None:
    hits = [i for i, c in enumerate(cells) if fragment in c.source]
    if len(hits) != 1:
        problems.append(f"{nb_id}: anchor {fragment[:60]!r} matches {len(hits)} cells (need exactly 1)")
        return None
    return hits[0]


def build(nb, nb_id: str, problems: list[str]):
    """The notebook with this script's cells (re)inserted; problems get every anchor that fails."""
    cells = [c for c in nb.cells if "inserted" not in c.metadata.get(MARK, {})]
    plans = []  # (anchor index, "before"/"after", order, cells)
    qs, ps = QUESTIONS.get(nb_id, []), PREDICTIONS.get(nb_id, [])
    strips = [s for q in qs for s in q.strip] + [s for p in ps for s in p.strip]
    for order, p in enumerate(ps):
        before, after = prediction_cells(p)
        i, j = _find(cells, p.before, problems, nb_id), _find(cells, p.after, problems, nb_id)
        if i is not None and j is not None:
            plans += [(i, p.before_where, order, before), (j, p.after_where, 100 + order, after)]
    for number, q in enumerate(qs, start=1):
        i = _find(cells, q.anchor, problems, nb_id)
        if i is not None:
            plans.append((i, q.where, 200 + number, question_cells(number, q)))
    if qs:
        i = _find(cells, _badge(nb_id), problems, nb_id)
        if i is not None:
            total = sum(q.points for q in qs)
            note = new_markdown_cell(INTRO.format(n=len(qs), s="" if len(qs) == 1 else "s", points=total),
                                     metadata=_meta("intro"))
            plans.append((i, "after", -1, [note]))
    seen: dict[str, int] = {}
    for *_, new in plans:  # stable cell ids (nbformat would draw random ones), so a re-run changes nothing
        for cell in new:
            tag = cell.metadata[MARK]["inserted"]
            seen[tag] = seen.get(tag, 0) + 1
            cell.id = f"{MARK}-{tag}-{seen[tag]}".replace("_", "-")[:64]
    for anchor, sentence in strips:
        i = _find(cells, anchor, problems, nb_id)
        if i is not None and sentence in cells[i].source:
            cells[i].source = cells[i].source.replace(sentence, "", 1)
    # insert from the end so earlier indices stay valid; at one anchor keep the plans' order
    for i, where, order, new in sorted(plans, key=lambda p: (p[0], p[1] == "after", p[2]), reverse=True):
        at = i if where == "before" else i + 1
        cells[at:at] = new
    nb.cells = cells
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--check", action="store_true", help="only check that solutions/ is up to date")
    parser.add_argument("--no-release", action="store_true", help="do not regenerate notebooks/")
    args = parser.parse_args(argv)
    problems, changed, totals = [], {}, {}
    for nb_id in sorted(set(QUESTIONS) | set(PREDICTIONS)):
        path = args.solutions / f"{nb_id}.ipynb"
        if not path.exists():
            problems.append(f"{nb_id}: no {path}")
            continue
        text = path.read_text(encoding="utf-8")
        nb = build(nbformat.reads(text, as_version=4), nb_id, problems)
        new = nbformat.writes(nb) + "\n"
        if new != text:
            changed[path] = new
        totals[nb_id] = (sum(c.metadata["nbgrader"]["points"] for c in nb.cells
                             if c.metadata.get("nbgrader", {}).get("grade")),
                         sum(q.points for q in QUESTIONS.get(nb_id, [])))
    if problems:
        print("nothing written; fix these anchors first:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    if args.check:
        for path in changed:
            print(f"{path.name}: out of date (run python tools/add_questions.py)")
        return 1 if changed else 0
    for path, new in changed.items():
        path.write_text(new, encoding="utf-8")
        print(f"updated {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    for nb_id, (total, written) in totals.items():
        print(f"{nb_id}: {total:g} points, of which {written:g} for written questions")
    if changed and not args.no_release:
        from cnnlab import release

        for out in release.release(args.solutions, args.notebooks, [p.stem for p in changed]):
            print(f"released {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
