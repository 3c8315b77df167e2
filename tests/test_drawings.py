"""model.drawings: one drawing keeps one label (issue #16 item 13)."""

import threading

import numpy as np

from model.drawings import DrawingStore


def one() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0
    return image


def test_saving_the_same_drawing_with_another_label_keeps_the_last_one(store):
    drawings = DrawingStore(store)
    drawings.add(one(), 1, predicted=1)
    assert drawings.label_of(one()) == 1
    drawings.add(one(), 7, predicted=1)
    assert [d.label for d in drawings.list()] == [7] and drawings.label_of(one()) == 7
    x, y = drawings.arrays()
    assert len(x) == 1 and y.tolist() == [7]


def test_saving_the_same_drawing_twice_is_still_one_row(store):
    drawings = DrawingStore(store)
    first = drawings.add(one(), 1)
    assert drawings.add(one(), 1) == first and drawings.count() == 1
    other = one()
    other[4:24, 16:18] = 1.0
    drawings.add(other, 1)
    assert drawings.count() == 2 and drawings.label_of(np.zeros((28, 28))) is None


def test_one_drawing_saved_with_ten_labels_at_once_keeps_one_row(store):
    """Ten sessions save the same drawing, each with another label, at the same moment: one row remains."""
    drawings, start = DrawingStore(store), threading.Barrier(10)

    def save(label: int) -> None:
        start.wait()
        drawings.add(one(), label)

    threads = [threading.Thread(target=save, args=(label,)) for label in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert drawings.count() == 1
