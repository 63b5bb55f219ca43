"""The defaults of the loss, stated: ``MultiBoxLoss(priors)`` and ``multibox_loss(...)`` without
keywords equal the same calls with the explicit defaults threshold 0.5, neg_pos_ratio 3,
alpha 1.0, variances (0.1, 0.2), unique True -- on a case where each of them changes the loss."""

from __future__ import annotations

import pytest
import torch

from ssd_course import loss, priors

DEFAULTS = {"threshold": 0.5, "neg_pos_ratio": 3, "alpha": 1.0, "variances": (0.1, 0.2), "unique": True}
OTHER = {"threshold": 0.3, "neg_pos_ratio": 1, "alpha": 2.0, "variances": (0.2, 0.1), "unique": False}


def case():
    """One image of the tiny detector: two small GTs that share their best prior, seeded predictions."""
    priors_cxcy = priors.tiny_detector_priors(dtype=torch.float64)  # [441, 4]
    boxes = [torch.tensor([[0.30, 0.30, 0.50, 0.50], [0.32, 0.31, 0.52, 0.49]], dtype=torch.float64)]
    labels = [torch.tensor([1, 2])]
    generator = torch.Generator().manual_seed(0)
    locs = torch.randn(1, 441, 4, generator=generator, dtype=torch.float64)
    scores = torch.randn(1, 441, 3, generator=generator, dtype=torch.float64)
    return locs, scores, boxes, labels, priors_cxcy


def test_each_default_matters_on_this_case():
    locs, scores, boxes, labels, priors_cxcy = case()
    base = loss.multibox_loss(locs, scores, boxes, labels, priors_cxcy, **DEFAULTS).total
    for name, value in OTHER.items():
        changed = loss.multibox_loss(locs, scores, boxes, labels, priors_cxcy, **{**DEFAULTS, name: value}).total
        assert not torch.isclose(changed, base), name


def test_multibox_loss_defaults():
    locs, scores, boxes, labels, priors_cxcy = case()
    implicit = loss.multibox_loss(locs, scores, boxes, labels, priors_cxcy)
    explicit = loss.multibox_loss(locs, scores, boxes, labels, priors_cxcy, **DEFAULTS)
    for got, wanted in zip(implicit, explicit):
        torch.testing.assert_close(got, wanted, rtol=0, atol=0)


def test_multibox_loss_module_defaults():
    locs, scores, boxes, labels, priors_cxcy = case()
    implicit = loss.MultiBoxLoss(priors_cxcy)
    explicit = loss.MultiBoxLoss(priors_cxcy, **DEFAULTS)
    torch.testing.assert_close(implicit(locs, scores, boxes, labels), explicit(locs, scores, boxes, labels),
                               rtol=0, atol=0)
    torch.testing.assert_close(implicit(locs, scores, boxes, labels),
                               loss.multibox_loss(locs, scores, boxes, labels, priors_cxcy).total, rtol=0, atol=0)
    assert (implicit.threshold, implicit.neg_pos_ratio, implicit.alpha, implicit.variances, implicit.unique,
            implicit.distributed) == (0.5, 3, 1.0, (0.1, 0.2), True, False)


@pytest.mark.parametrize(("name", "value"), list(OTHER.items()))
def test_the_module_passes_every_setting_on(name, value):
    locs, scores, boxes, labels, priors_cxcy = case()
    module = loss.MultiBoxLoss(priors_cxcy, **{name: value})
    torch.testing.assert_close(module(locs, scores, boxes, labels),
                               loss.multibox_loss(locs, scores, boxes, labels, priors_cxcy, **{name: value}).total,
                               rtol=0, atol=0)


def test_smooth_l1_default_beta_is_one():
    x = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(loss.smooth_l1(x), loss.smooth_l1(x, beta=1.0))
    # 0.5 x**2 inside |x| < 1, |x| - 0.5 outside: 1.5, 0.5, 0.125, 0, 0.125, 0.5, 1.5
    torch.testing.assert_close(loss.smooth_l1(x), torch.tensor([1.5, 0.5, 0.125, 0.0, 0.125, 0.5, 1.5],
                                                              dtype=torch.float64))
