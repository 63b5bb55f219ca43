"""Invalid bounds are rejected with a ValueError naming the argument, at the bound itself
(a zero, not only a negative; the first invalid label, not only labels far out of range)."""

from __future__ import annotations

import pytest
import torch

from ssd_course import encoding, loss

BOX = torch.tensor([0.1, 0.2, 0.5, 0.6])
PRIOR = torch.tensor([0.3, 0.4, 0.4, 0.4])


@pytest.mark.parametrize("beta", [0.0, 0, -1.0, float("inf"), float("nan")])
def test_smooth_l1_rejects_beta_zero_and_below(beta):
    with pytest.raises(ValueError, match=r"beta must be a finite number > 0; got"):
        loss.smooth_l1(torch.ones(3), beta=beta)


def test_smooth_l1_accepts_a_small_beta():
    assert float(loss.smooth_l1(torch.tensor([0.001]), beta=0.01)[0]) == pytest.approx(0.5 * 0.001**2 / 0.01)


@pytest.mark.parametrize("prior", [[0.3, 0.4, 0.4, 0.0], [0.3, 0.4, 0.0, 0.4], [0.3, 0.4, -0.1, 0.4]])
def test_encode_rejects_a_prior_without_height_or_width(prior):
    with pytest.raises(ValueError, match="priors_cxcy must have width > 0 and height > 0 in every prior"):
        encoding.encode(BOX, torch.tensor(prior))


def test_encode_rejects_a_box_of_zero_height():
    with pytest.raises(ValueError, match=r"boxes_xyxy must have x2 > x1 and y2 > y1"):
        encoding.encode(torch.tensor([0.1, 0.2, 0.5, 0.2]), PRIOR)


@pytest.mark.parametrize(("function", "name", "args"), [
    (encoding.encode, "boxes_xyxy", (torch.tensor([0, 0, 1, 1]), PRIOR)),
    (encoding.encode, "priors_cxcy", (BOX, torch.tensor([1, 1, 1, 1]))),
    (encoding.decode, "offsets", (torch.tensor([0, 0, 1, 1]), PRIOR)),
    (encoding.decode, "priors_cxcy", (torch.zeros(4), torch.tensor([1, 1, 1, 1]))),
])
def test_integer_tensors_are_rejected_by_name(function, name, args):
    with pytest.raises(ValueError, match=f"^{name} must be a floating-point tensor; got dtype torch.int64"):
        function(*args)


def test_a_label_equal_to_c_is_rejected():
    scores = torch.zeros(1, 2, 3)  # C = 3: labels 0, 1, 2
    with pytest.raises(ValueError, match=r"labels must be classes in 0\.\.2; got values from 0 to 3"):
        loss.confidence_loss(scores, torch.tensor([[0, 3]]))
    assert loss.confidence_loss(scores, torch.tensor([[0, 2]])).shape == (1, 2)  # C - 1 is fine
    priors_cxcy = torch.tensor([[0.3, 0.3, 0.4, 0.4], [0.7, 0.7, 0.4, 0.4]])
    with pytest.raises(ValueError, match=r"labels\[0\]\[0\] must be a class label in 1\.\.2 \(0 is background, C = 3\); "
                                         r"got 3"):
        loss.multibox_loss(torch.zeros(1, 2, 4), scores, [torch.tensor([[0.1, 0.1, 0.5, 0.5]])], [torch.tensor([3])],
                           priors_cxcy)
