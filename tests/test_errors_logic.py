"""Error-analysis logic (training/confusion.py) on a tiny hand-computed case, plus the datasets it reads."""

from __future__ import annotations

import numpy as np
import pytest

from model.drawings import DrawingStore
from model.inference import Classifier, DenseWeights
from model.spec import N_CLASSES, ArchSpec
from model.store import ModelMeta
from training import confusion
from training.evaluate import evaluate


def row(**probs: float) -> list[float]:
    """A (10,) probability row: the named digits get their values, the rest share what is left equally."""
    given = {int(k[1:]): v for k, v in probs.items()}  # keys like d1=0.6
    rest = (1.0 - sum(given.values())) / (N_CLASSES - len(given))
    return [given.get(d, rest) for d in range(N_CLASSES)]


# Six images. Position: true digit, what the model says (its confidence), p(true digit).
#   0: true 0 -> 0 (0.90)                 p(true) 0.90
#   1: true 0 -> 1 (0.60)   mistake       p(true) 0.30
#   2: true 1 -> 1 (0.80)                 p(true) 0.80
#   3: true 1 -> 1 (0.55)                 p(true) 0.55
#   4: true 1 -> 0 (0.70)   mistake       p(true) 0.20
#   5: true 2 -> 1 (0.95)   mistake       p(true) 0.03
LABELS = np.array([0, 0, 1, 1, 1, 2])
PROBS = np.array(
    [row(d0=0.9), row(d1=0.6, d0=0.3), row(d1=0.8), row(d1=0.55), row(d0=0.7, d1=0.2), row(d1=0.95, d2=0.03)]
)


@pytest.fixture
def ev():
    return evaluate(PROBS, LABELS)


def test_confusion_and_report_match_the_hand_computed_case(ev):
    expected = np.zeros((10, 10), int)
    expected[0, 0], expected[0, 1], expected[1, 1], expected[1, 0], expected[2, 1] = 1, 1, 2, 1, 1
    np.testing.assert_array_equal(ev.confusion, expected)
    assert ev.accuracy == pytest.approx(0.5)
    # -(ln .9 + ln .3 + ln .8 + ln .55 + ln .2 + ln .03) / 6
    assert ev.loss == pytest.approx(1.207718, abs=1e-5)
    by_digit = {r["digit"]: r for r in ev.per_class}
    # digit 0: 1 right of 2 true zeros; 1 right of 2 "0" answers
    assert (
        by_digit[0]["precision"],
        by_digit[0]["recall"],
        by_digit[0]["f1"],
        by_digit[0]["support"],
    ) == pytest.approx((0.5, 0.5, 0.5, 2))
    # digit 1: 2 right of 3 true ones; 2 right of 4 "1" answers; F1 = 2 * 1/2 * 2/3 / (1/2 + 2/3) = 4/7
    assert (
        by_digit[1]["precision"],
        by_digit[1]["recall"],
        by_digit[1]["f1"],
        by_digit[1]["support"],
    ) == pytest.approx((0.5, 2 / 3, 4 / 7, 3))
    # digit 2: never predicted, never right
    assert (by_digit[2]["precision"], by_digit[2]["recall"], by_digit[2]["f1"], by_digit[2]["support"]) == (
        0.0,
        0.0,
        0.0,
        1,
    )
    assert by_digit[7]["support"] == 0


def test_row_normalisation_reads_as_where_each_digit_went(ev):
    rates = confusion.normalize_rows(ev.confusion)
    assert rates[1, 1] == pytest.approx(2 / 3) and rates[1, 0] == pytest.approx(1 / 3)
    assert rates[2, 1] == pytest.approx(1.0)
    assert rates[5].sum() == 0  # no 5s at all: a row of zeros, not NaN


def test_off_diagonal_cells_list_the_most_confident_mistakes_first():
    labels = np.array([3, 3, 3, 3, 5])
    probs = np.array([row(d5=0.6), row(d5=0.9), row(d3=0.8), row(d5=0.75), row(d5=0.99)])
    ev = evaluate(probs, labels)
    assert confusion.cell_samples(ev, true=3, predicted=5).tolist() == [1, 3, 0]
    assert confusion.cell_samples(ev, true=3, predicted=3).tolist() == [2]


def test_diagonal_cells_list_the_least_confident_correct_answers_first(ev):
    assert confusion.cell_samples(ev, true=1, predicted=1).tolist() == [3, 2]
    assert confusion.cell_samples(ev, true=0, predicted=1).tolist() == [1]
    assert confusion.cell_samples(ev, true=2, predicted=2).size == 0


def test_most_confident_mistakes_filter_by_true_and_predicted_digit(ev):
    assert confusion.mistakes(ev).tolist() == [5, 4, 1]
    assert confusion.mistakes(ev, predicted=1).tolist() == [5, 1]
    assert confusion.mistakes(ev, true=1).tolist() == [4]
    assert confusion.mistakes(ev, true=0, predicted=1).tolist() == [1]
    assert confusion.mistakes(ev, true=9).size == 0


def test_top_three_probabilities_highest_first():
    assert confusion.top_k(np.array(row(d4=0.5, d9=0.3, d7=0.15)), 3) == [(4, 0.5), (9, 0.3), (7, pytest.approx(0.15))]


def test_compare_finds_what_one_model_gets_right_and_the_other_wrong(ev):
    # model B fixes image 1 (now 0, fairly sure) and breaks image 2 (now 7, very sure)
    probs_b = PROBS.copy()
    probs_b[1], probs_b[2] = row(d0=0.65), row(d7=0.85, d1=0.1)
    b = evaluate(probs_b, LABELS)
    cmp = confusion.compare(ev, b)
    assert cmp.a_only.tolist() == [2] and cmp.b_only.tolist() == [1] and cmp.both_wrong == 2
    expected = np.zeros((10, 10), int)
    expected[0, 0], expected[0, 1], expected[1, 1], expected[1, 7] = 1, -1, -1, 1
    np.testing.assert_array_equal(cmp.difference, expected)
    assert confusion.compare(ev, ev).a_only.size == 0


def test_compare_refuses_evaluations_on_different_images(ev):
    other = evaluate(PROBS[:5], LABELS[:5])
    with pytest.raises(ValueError, match="not on the same images"):
        confusion.compare(ev, other)


def test_csv_has_one_row_per_mistake_most_confident_first(ev):
    text = confusion.to_csv(confusion.error_rows(ev, ids=np.array([10, 11, 12, 13, 14, 15])))
    assert text.splitlines() == [
        "index,true,predicted,confidence",
        "15,2,1,0.95",
        "14,1,0,0.7",
        "11,0,1,0.6",
    ]


def tiny_classifier(seed: int = 0) -> Classifier:
    """A random 784 -> 16 -> 10 network that runs without Keras."""
    rng = np.random.default_rng(seed)
    layers = [
        DenseWeights(rng.normal(0, 0.1, (784, 16)).astype(np.float32), np.zeros(16, np.float32), "relu"),
        DenseWeights(rng.normal(0, 0.3, (16, 10)).astype(np.float32), np.zeros(10, np.float32), "softmax"),
    ]
    return Classifier(ModelMeta("tiny", ArchSpec.simple([16])), layers)


def test_evaluate_on_batches_match_one_big_call(mnist):
    data = confusion.mnist_test()
    assert len(data) == 10_000 and data.ids[123] == 123 and data.y[0] == mnist[1][1][0]
    clf = tiny_classifier()
    small = confusion.Dataset(
        "part",
        "part",
        data.x[: confusion.BATCH + 300],
        data.y[: confusion.BATCH + 300],
        data.ids[: confusion.BATCH + 300],
        "part",
    )
    ev = confusion.evaluate_on(clf, small)
    reference = clf.predict_proba(small.x.astype(np.float32) / 255)
    np.testing.assert_allclose(ev.probabilities, reference, atol=1e-6)
    np.testing.assert_array_equal(ev.labels, small.y)


def test_my_drawings_dataset_follows_the_store():
    store = DrawingStore()
    assert len(confusion.my_drawings(store)) == 0
    image = np.zeros((28, 28), np.float32)
    image[5:20, 12:15] = 1.0
    first = store.add(image, 1, predicted=7, model="default")
    data = confusion.my_drawings(store)
    assert len(data) == 1 and data.y.tolist() == [1] and data.ids.tolist() == [first]
    assert data.x.dtype == np.uint8 and data.x[0, 10, 13] == 255
    image2 = image.copy()
    image2[5:8, 8:20] = 1.0
    store.add(image2, 7)
    assert confusion.my_drawings(store).fingerprint != data.fingerprint  # new drawing -> new cache key
    ev = confusion.evaluate_on(tiny_classifier(), confusion.my_drawings(store))
    assert ev.confusion.sum() == 2
