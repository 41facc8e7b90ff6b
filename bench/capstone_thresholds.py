"""What reasonable capstone designs reach in 3 CPU minutes: the data behind notebook 11's thresholds.

Trains each design below with the capstone's own training function (cnnlab.capstone.train: the
CPU budget callback, raw images in), on the capstone's data (training images; the public half of
the test images), then scores it on both halves of the test set. Prints one line per design:

    CNNLAB_DATA=/work/shared/data python bench/capstone_thresholds.py [design ...]

Epochs are chosen per design so that the planned run just fits the budget (the cosine schedule
then decays fully); the budget callback stops any run that would not.
"""

from __future__ import annotations

import sys
import tempfile
import time

from cnnlab import capstone, datasets, runtime

runtime.quiet_tensorflow()
import keras  # noqa: E402
from keras import layers  # noqa: E402


def tiny(steps):
    return _compiled([layers.Conv2D(16, 3, activation="relu"), layers.MaxPool2D(2),
                      layers.Conv2D(32, 3, activation="relu"), layers.MaxPool2D(2),
                      layers.Flatten(), layers.Dense(10)], steps, 1e-3)


def notebook6(steps):
    return _compiled([layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
                      layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
                      layers.Conv2D(128, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
                      layers.Flatten(), layers.Dropout(0.5), layers.Dense(10)], steps, 2e-3)


def _block(filters):
    return [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(),
            layers.ReLU()]


def augmented_bn(steps):
    return _compiled([layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1),
                      *_block(32), *_block(32), layers.MaxPool2D(2),
                      *_block(64), *_block(64), layers.MaxPool2D(2),
                      *_block(128), layers.MaxPool2D(2),
                      layers.GlobalAveragePooling2D(), layers.Dropout(0.3), layers.Dense(10)], steps, 3e-3)


def augmented_small(steps):
    return _compiled([layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1),
                      *_block(32), layers.MaxPool2D(2), *_block(64), layers.MaxPool2D(2),
                      *_block(128), layers.MaxPool2D(2),
                      layers.Flatten(), layers.Dropout(0.5), layers.Dense(10)], steps, 3e-3)


def _compiled(body, steps, lr):
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Rescaling(1 / 127.5, offset=-1), *body])
    schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(steps, 1))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])
    return model


DESIGNS = {"tiny": tiny, "notebook6": notebook6, "augmented_small": augmented_small, "augmented_bn": augmented_bn}
BATCH = 64


def main(names):
    data = datasets.load_capstone()
    x_held, y_held = datasets.capstone_held_out()
    steps_per_epoch = -(-len(data.y_train) // BATCH)
    budget = capstone.budget_seconds()
    for name in names or DESIGNS:
        # one epoch first, to size the run to the budget
        probe = DESIGNS[name](steps_per_epoch)
        start = time.process_time()
        probe.fit(capstone.as_input(data.x_train), data.y_train, epochs=1, batch_size=BATCH, verbose=0)
        per_epoch = time.process_time() - start
        epochs = max(1, int(0.93 * budget / per_epoch))
        steps = epochs * steps_per_epoch
        with tempfile.TemporaryDirectory() as folder:
            model, log = capstone.train(lambda: DESIGNS[name](steps), data.x_train, data.y_train, epochs=epochs,
                                        batch_size=BATCH, x_test=data.x_test, y_test=data.y_test, folder=folder)
        held = capstone.accuracy(model, x_held, y_held)
        print(f"RESULT {name}: {log['params']:,} params, {log['epochs']}/{epochs} epochs, "
              f"{log['cpu_seconds']:.0f} CPU s, {log['wall_seconds']:.0f} s wall, "
              f"public {log['public_accuracy']:.1%}, held-out {held:.1%}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
