"""model.drawings: one drawing keeps one label (issue #16 item 13)."""

import numpy as np

from model.drawings import DrawingStore


def one() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0
    return image


def test_saving_the_same_drawing_with_another_label_keeps_the_last_one(digitlab_home):
    store = DrawingStore(digitlab_home)
    store.add(one(), 1, predicted=1)
    assert store.label_of(one()) == 1
    store.add(one(), 7, predicted=1)
    assert [d.label for d in store.list()] == [7] and store.label_of(one()) == 7
    x, y = store.arrays()
    assert len(x) == 1 and y.tolist() == [7]


def test_saving_the_same_drawing_twice_is_still_one_row(digitlab_home):
    store = DrawingStore(digitlab_home)
    first = store.add(one(), 1)
    assert store.add(one(), 1) == first and store.count() == 1
    other = one()
    other[4:24, 16:18] = 1.0
    store.add(other, 1)
    assert store.count() == 2 and store.label_of(np.zeros((28, 28))) is None
