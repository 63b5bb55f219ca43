"""A small convolutional detector for the study guide's 441 priors (notebook 08).

The study guide's detector puts a VGG16 backbone in front of a 7 x 7 feature map (特征图)
and predicts, for each of the 9 priors of each cell, 4 offsets (偏移量) and C class scores.
:class:`TinyDetector` keeps that head and replaces VGG16 by a few convolution blocks small
enough to train from scratch on a laptop CPU::

    image [B, 3, 224, 224]
      -> stem: a 4 x 4 convolution with stride 4, one output per 4 x 4 patch: 56 x 56
      -> 3 blocks of 3 x 3 convolutions, each halving the resolution: 28, 14, 7
      -> features [B, F, 7, 7]
      -> two 3 x 3 convolutions: [B, 9 * 4, 7, 7] offsets and [B, 9 * C, 7, 7] class scores
      -> reordered to one row per prior: [B, 441, 4] and [B, 441, C]

The reordering is the part that must agree with :func:`ssd_course.priors.tiny_detector_priors`:
prior ``p = (i * 7 + j) * 9 + s`` sits in row ``i``, column ``j`` and has cell shape ``s``,
so channel ``s * 4 + k`` of the location head at position ``(i, j)`` must become
``predicted_locs[:, p, k]`` (see :func:`head_to_priors`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from ssd_course.priors import TINY_ASPECT_RATIOS, TINY_SCALES

__all__ = ["DetectorConfig", "TinyDetector", "head_to_priors"]

PRIORS_PER_CELL = len(TINY_SCALES) * len(TINY_ASPECT_RATIOS)  # 9
FEATURE_MAP_SIZE = 7


@dataclass(frozen=True)
class DetectorConfig:
    """The size of a :class:`TinyDetector`.

    Attributes:
        num_classes (int): C, including the background class 0.
        stem_width (int): output channels of the stride-4 stem.
        widths (tuple[int, int, int]): output channels of the three downsampling blocks.
        convs_per_block (int): 3 x 3 convolutions per block (the first one has stride 2).
    """

    num_classes: int = 4
    stem_width: int = 16
    widths: tuple[int, ...] = (32, 64, 128)
    convs_per_block: int = 2

    def to_dict(self) -> dict[str, int | list[int]]:
        """Plain numbers and lists, as stored in a checkpoint."""
        config = asdict(self)
        config["widths"] = list(self.widths)
        return config

    @classmethod
    def from_dict(cls, config: dict) -> DetectorConfig:
        """The inverse of :meth:`to_dict`."""
        return cls(**{**config, "widths": tuple(config["widths"])})


def _conv_bn_relu(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


def head_to_priors(head_output: Tensor, values_per_prior: int) -> Tensor:
    """Reorder a convolutional head's output into one row per prior.

    A 3 x 3 convolution with ``A * values_per_prior`` output channels predicts, at every
    cell ``(i, j)``, the values of the cell's ``A`` priors one after the other: channel
    ``a * values_per_prior + k`` is value ``k`` of prior ``a``. The priors are ordered row,
    column, then place in the cell, so the channels must move last before flattening::

        [B, A * V, H, W] -> permute -> [B, H, W, A * V] -> view -> [B, H, W, A, V] -> [B, H * W * A, V]

    Flattening ``[B, A * V, H, W]`` directly (without the permute) would mix values of
    different priors and cells: the shapes agree, the numbers do not.

    Args:
        head_output (Tensor[B, A * V, H, W]): the convolution's output.
        values_per_prior (int): ``V``, 4 for offsets or C for class scores.

    Returns:
        Tensor[B, H * W * A, V]: row ``(i * W + j) * A + a`` holds prior ``a`` of cell ``(i, j)``.

    Raises:
        ValueError: if the number of channels is not a multiple of ``values_per_prior``.

    Example:
        >>> out = torch.arange(8.0).reshape(1, 4, 1, 2)  # A = 2 priors, V = 2 values, 1 x 2 cells
        >>> head_to_priors(out, 2)[0]  # cell (0, 0): priors 0, 1; then cell (0, 1)
        tensor([[0., 2.],
                [4., 6.],
                [1., 3.],
                [5., 7.]])
    """
    if head_output.dim() != 4 or head_output.shape[1] % values_per_prior != 0:
        raise ValueError(
            f"head_output must have shape [B, A * {values_per_prior}, H, W]; got {list(head_output.shape)}"
        )
    B = head_output.shape[0]
    per_cell = head_output.permute(0, 2, 3, 1)  # [B, H, W, A * V]
    return per_cell.reshape(B, -1, values_per_prior)  # [B, H * W * A, V]


class TinyDetector(nn.Module):
    """A detector with the study guide's head on a small backbone, trainable on a CPU.

    Args:
        config (DetectorConfig): the number of classes and the backbone's widths.

    Example:
        >>> detector = TinyDetector(DetectorConfig(num_classes=4, stem_width=8, widths=(8, 8, 8)))
        >>> locs, scores = detector(torch.zeros(2, 3, 224, 224))
        >>> locs.shape, scores.shape
        (torch.Size([2, 441, 4]), torch.Size([2, 441, 4]))
    """

    def __init__(self, config: DetectorConfig = DetectorConfig()) -> None:
        super().__init__()
        if config.num_classes < 2:
            raise ValueError(
                f"config.num_classes must be >= 2 (background and one object class); got {config.num_classes}"
            )
        if len(config.widths) != 3 or config.convs_per_block < 1:
            raise ValueError(
                "config.widths must give 3 block widths (224 / 4 / 2**3 = 7) and config.convs_per_block "
                f"must be >= 1; got {config.widths} and {config.convs_per_block}"
            )
        self.config = config
        # the stem looks at each 4 x 4 patch once: cheap on a CPU, and enough for flat shapes
        self.stem = nn.Sequential(
            nn.Conv2d(3, config.stem_width, kernel_size=4, stride=4, bias=False),
            nn.BatchNorm2d(config.stem_width),
            nn.ReLU(inplace=True),
        )
        blocks = []
        in_channels = config.stem_width
        for width in config.widths:
            layers = [_conv_bn_relu(in_channels, width, stride=2)]
            layers += [_conv_bn_relu(width, width, stride=1) for _ in range(config.convs_per_block - 1)]
            blocks.append(nn.Sequential(*layers))
            in_channels = width
        self.backbone = nn.Sequential(*blocks)
        self.loc_head = nn.Conv2d(in_channels, PRIORS_PER_CELL * 4, kernel_size=3, padding=1)
        self.class_head = nn.Conv2d(in_channels, PRIORS_PER_CELL * config.num_classes, kernel_size=3, padding=1)

    def heads(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """The two heads on a feature map, reordered to one row per prior.

        Args:
            features (Tensor[B, F, 7, 7]): the backbone's feature map.

        Returns:
            (Tensor[B, 441, 4], Tensor[B, 441, C]): predicted offsets and class logits.
        """
        predicted_locs = head_to_priors(self.loc_head(features), 4)  # [B, 441, 4]
        predicted_scores = head_to_priors(self.class_head(features), self.config.num_classes)  # [B, 441, C]
        return predicted_locs, predicted_scores

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Predict offsets and class scores for every prior.

        Args:
            images (Tensor[B, 3, 224, 224]): RGB images in [0, 1].

        Returns:
            (Tensor[B, 441, 4], Tensor[B, 441, C]): predicted offsets (to decode with
            :func:`ssd_course.encoding.decode` against ``tiny_detector_priors()``) and class
            logits (class 0 is background).
        """
        features = self.backbone(self.stem(images - 0.5))  # [B, F, 7, 7]
        if features.shape[-2:] != (FEATURE_MAP_SIZE, FEATURE_MAP_SIZE):
            raise ValueError(
                f"images must be 224 x 224 so that the feature map is 7 x 7; got images of shape "
                f"{list(images.shape)} and a {features.shape[-2]} x {features.shape[-1]} feature map"
            )
        return self.heads(features)
