"""Tests of ssd_course.model and ssd_course.train: head layout, learning, checkpoints, the CLI."""

from __future__ import annotations

import io
import json
import math

import pytest
import torch

from ssd_course import data, train
from ssd_course.loss import MultiBoxLoss
from ssd_course.model import DetectorConfig, TinyDetector, head_to_priors
from ssd_course.priors import TINY_ASPECT_RATIOS, TINY_SCALES, tiny_detector_priors

SMALL = DetectorConfig(num_classes=4, stem_width=8, widths=(8, 16, 16))
SMALL_ARGS = ["--stem-width", "8", "--widths", "8,16,16", "--convs-per-block", "1"]


def test_output_shapes_match_the_priors() -> None:
    detector = TinyDetector(SMALL)
    locs, scores = detector(torch.rand(2, 3, 224, 224))
    assert locs.shape == (2, 441, 4) and scores.shape == (2, 441, 4)
    assert tiny_detector_priors().shape[0] == locs.shape[1]


def test_head_layout_matches_tiny_detector_priors() -> None:
    # The feature map holds the cell number i * 7 + j in channel 0; every head output channel
    # of prior shape a is 9 * (cell number) + a. So the value that lands in row p of the
    # output names the cell and the shape it came from: it must be the prior p of
    # tiny_detector_priors(), whose cell and shape we read off its geometry.
    detector = TinyDetector(SMALL)
    features = torch.zeros(1, SMALL.widths[-1], 7, 7)
    features[0, 0] = torch.arange(49.0).reshape(7, 7)
    with torch.no_grad():
        for head, values in ((detector.loc_head, 4), (detector.class_head, SMALL.num_classes)):
            head.weight.zero_()
            head.weight[:, 0, 1, 1] = 9.0  # the centre tap of channel 0
            head.bias.copy_(torch.arange(9.0).repeat_interleave(values))  # channel a * V + k -> a
        locs, scores = detector.heads(features)
    priors = tiny_detector_priors()
    shapes = [(s * math.sqrt(r), s / math.sqrt(r)) for s in TINY_SCALES for r in TINY_ASPECT_RATIOS]
    for p, (cx, cy, w, h) in enumerate(priors.tolist()):
        i, j = round(cy * 7 - 0.5), round(cx * 7 - 0.5)
        a = min(range(9), key=lambda k: abs(shapes[k][0] - w) + abs(shapes[k][1] - h))
        expected = 9 * (i * 7 + j) + a
        assert locs[0, p].tolist() == [expected] * 4
        assert scores[0, p].tolist() == [expected] * SMALL.num_classes


def test_head_to_priors_is_not_a_plain_reshape() -> None:
    out = torch.arange(2 * 9 * 4 * 7 * 7, dtype=torch.float32).reshape(2, 36, 7, 7)
    reordered = head_to_priors(out, 4)
    assert reordered.shape == (2, 441, 4)
    # prior 10 = cell (0, 1), shape 1: channels 4..7 at row 0, column 1
    assert reordered[1, 10].tolist() == out[1, 4:8, 0, 1].tolist()
    assert not torch.equal(reordered, out.reshape(2, 441, 4))


def test_head_to_priors_rejects_channels_that_do_not_divide() -> None:
    with pytest.raises(ValueError, match=r"\[B, A \* 4, H, W\]"):
        head_to_priors(torch.zeros(1, 10, 7, 7), 4)


@pytest.mark.parametrize("config", [DetectorConfig(num_classes=1), DetectorConfig(widths=(8, 8)),
                                    DetectorConfig(convs_per_block=0)])
def test_detector_rejects_bad_configs(config: DetectorConfig) -> None:
    with pytest.raises(ValueError):
        TinyDetector(config)


def test_detector_rejects_images_of_another_size() -> None:
    with pytest.raises(ValueError, match="224 x 224"):
        TinyDetector(SMALL)(torch.zeros(1, 3, 160, 160))


def test_config_round_trips_through_plain_types() -> None:
    plain = SMALL.to_dict()
    assert plain == {"num_classes": 4, "stem_width": 8, "widths": [8, 16, 16], "convs_per_block": 2}
    assert DetectorConfig.from_dict(plain) == SMALL


def test_a_few_steps_lower_the_loss() -> None:
    torch.manual_seed(0)
    detector = TinyDetector(SMALL)
    criterion = MultiBoxLoss(tiny_detector_priors())
    optimizer = torch.optim.Adam(detector.parameters(), lr=1e-2)
    batch = data.collate_scenes([data.make_scene(seed) for seed in range(2)])
    # the same batch every step: the loss of step k is measured on the weights after k - 1 steps
    history = train.train_steps(detector, criterion, optimizer, [batch] * 6)
    assert len(history["total"]) == 6
    assert history["total"][-1] < 0.7 * history["total"][0]
    assert history["conf"][-1] < history["conf"][0]


def test_train_steps_records_every_part() -> None:
    torch.manual_seed(0)
    detector = TinyDetector(SMALL)
    criterion = MultiBoxLoss(tiny_detector_priors())
    optimizer = torch.optim.SGD(detector.parameters(), lr=1e-3)
    batch = data.collate_scenes([data.make_scene(0), data.make_scene(1)])
    history = train.train_steps(detector, criterion, optimizer, [batch] * 2)
    assert set(history) == {"total", "loc", "conf", "lr"}
    assert all(len(values) == 2 for values in history.values())
    for total, loc, conf in zip(history["total"], history["loc"], history["conf"]):
        assert total == pytest.approx(conf + loc)  # alpha = 1
    assert history["lr"] == [1e-3, 1e-3]


def test_checkpoint_loads_with_weights_only(tmp_path) -> None:
    torch.manual_seed(0)
    detector = TinyDetector(SMALL).eval()
    path = tmp_path / "detector.pt"
    train.save_checkpoint(path, detector, steps=3, map50=0.5, command="python -m ssd_course.train")
    raw = torch.load(path, weights_only=True)
    assert raw["steps"] == 3 and raw["class_names"] == list(data.SHAPE_CLASSES)
    loaded, checkpoint = train.load_checkpoint(path)
    assert checkpoint["config"] == SMALL.to_dict()
    images = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        for expected, got in zip(detector(images), loaded(images)):
            torch.testing.assert_close(got, expected)


def test_predict_returns_detections_per_image() -> None:
    torch.manual_seed(0)
    found = train.predict(TinyDetector(SMALL), torch.rand(3, 3, 224, 224), top_k=5)
    assert len(found) == 3
    assert all(len(f.scores) <= 5 and f.boxes.shape[1:] == (4,) for f in found)


def test_evaluate_gives_a_map_in_zero_one() -> None:
    torch.manual_seed(0)
    mean_ap = train.evaluate(TinyDetector(SMALL), data.SceneDataset(4, seed=data.HELD_OUT_SEED), batch_size=2)
    assert 0.0 <= mean_ap <= 1.0


def test_cli_trains_saves_and_evaluates(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    status = train.main(["--steps", "2", "--batch-size", "2", "--eval-scenes", "3", "--out", str(out), *SMALL_ARGS])
    assert status == 0
    history = json.loads((out / train.HISTORY_NAME).read_text())
    assert {key: len(values) for key, values in history.items()} == {"total": 2, "loc": 2, "conf": 2, "lr": 2}
    checkpoint = torch.load(out / train.CHECKPOINT_NAME, weights_only=True)
    assert checkpoint["steps"] == 2 and checkpoint["interrupted"] is False
    assert 0.0 <= checkpoint["map50"] <= 1.0
    assert checkpoint["command"].startswith("python -m ssd_course.train --steps 2")
    assert f"mAP@0.5 on 3 held-out scenes: {checkpoint['map50']:.4f}" in capsys.readouterr().out


def test_ctrl_c_saves_what_it_has(tmp_path, monkeypatch, capsys) -> None:
    calls = {"n": 0}
    parts = MultiBoxLoss.parts

    def interrupted_on_third_step(self, *args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return parts(self, *args)

    monkeypatch.setattr(MultiBoxLoss, "parts", interrupted_on_third_step)
    out = tmp_path / "run"
    status = train.main(["--steps", "5", "--batch-size", "2", "--out", str(out), *SMALL_ARGS])
    assert status == 130
    assert len(json.loads((out / train.HISTORY_NAME).read_text())["total"]) == 2
    checkpoint = torch.load(out / train.CHECKPOINT_NAME, weights_only=True)
    assert checkpoint["interrupted"] is True and checkpoint["steps"] == 2
    assert "interrupted after 2 steps" in capsys.readouterr().out


def test_ctrl_c_during_evaluation_saves_the_trained_model(tmp_path, monkeypatch) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "evaluate", interrupted)
    out = tmp_path / "run"
    status = train.main(["--steps", "2", "--batch-size", "2", "--eval-scenes", "3", "--out", str(out), *SMALL_ARGS])
    assert status == 130
    checkpoint = torch.load(out / train.CHECKPOINT_NAME, weights_only=True)
    assert checkpoint["steps"] == 2 and checkpoint["interrupted"] is True and checkpoint["map50"] is None


def test_progress_bar_writes_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = train.ProgressBar(20, stream=stream)
    for step in range(1, 21):
        bar.update(step, "loss 1.0")
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10  # every tenth of the run
    assert lines[-1].startswith("step 20/20 [####################] 100% loss 1.0")


def test_pick_device() -> None:
    assert train.pick_device("cpu") == torch.device("cpu")
    assert train.pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="'auto', 'cpu' or 'cuda'"):
        train.pick_device("tpu")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_mixed_precision_steps_on_cuda() -> None:
    torch.manual_seed(0)
    device = torch.device("cuda")
    detector = TinyDetector(SMALL).to(device)
    criterion = MultiBoxLoss(tiny_detector_priors()).to(device)
    optimizer = torch.optim.Adam(detector.parameters(), lr=1e-2)
    scaler = train.make_grad_scaler(device, enabled=True)
    batch = data.collate_scenes([data.make_scene(seed) for seed in range(4)])
    history = train.train_steps(detector, criterion, optimizer, [batch] * 8, scaler=scaler)
    assert all(math.isfinite(v) for v in history["total"])
    assert history["total"][-1] < history["total"][0]
