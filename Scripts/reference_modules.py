"""The reference's pickled module classes (`src.models.modeling.ImageEncoder` and
`ClassificationHead` of the LiNeS / tall_masks code), registered under their real module path so
that `torch.save(module)` writes the same pickle (class names, attribute layout, torchvision
transforms) as the checkpoints on the Hugging Face Hub (`nik-dim/tall_masks`).

    from reference_modules import ImageEncoder, ClassificationHead
"""
import sys
import types

import open_clip
import torch

src = types.ModuleType("src")
src_models = types.ModuleType("src.models")
modeling = types.ModuleType("src.models.modeling")
src.models = src_models
src_models.modeling = modeling
sys.modules.update({"src": src, "src.models": src_models, "src.models.modeling": modeling})


class ImageEncoder(torch.nn.Module):
    """As the reference `src/models/modeling.py::ImageEncoder`: `.model` is an open_clip CLIP
    whose text transformer was deleted (keep_lang=False), with its torchvision preprocessing
    pipelines as attributes (so the pickle also names torchvision/open_clip transform classes)."""

    def __init__(self, clip, image_size=32):
        super().__init__()
        self.model = clip
        self.train_preprocess = open_clip.image_transform(image_size, is_train=True)
        self.val_preprocess = open_clip.image_transform(image_size, is_train=False)
        self.cache_dir = None
        if hasattr(self.model, "transformer"):
            delattr(self.model, "transformer")

    def forward(self, images):
        return self.model.encode_image(images)


class ClassificationHead(torch.nn.Linear):
    """As the reference `src/models/heads.py::ClassificationHead`."""

    def __init__(self, normalize, weights, biases=None):
        output_size, input_size = weights.shape
        super().__init__(input_size, output_size)
        self.normalize = normalize
        self.weight = torch.nn.Parameter(weights.clone())
        if biases is not None:
            self.bias = torch.nn.Parameter(biases.clone())
        else:
            self.bias = torch.nn.Parameter(torch.zeros_like(self.bias))

    def forward(self, inputs):
        if self.normalize:
            inputs = inputs / inputs.norm(dim=-1, keepdim=True)
        return super().forward(inputs)


for cls in (ImageEncoder, ClassificationHead):
    cls.__module__ = "src.models.modeling"
    cls.__qualname__ = cls.__name__
    setattr(modeling, cls.__name__, cls)


def encoder_from_state(clip, state, image_size):
    """An ImageEncoder around `clip` holding `state` (keys `model.…`, text tower absent)."""
    enc = ImageEncoder(clip, image_size)
    missing, unexpected = enc.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    assert not [k for k in missing if not k.startswith("model.transformer.")], missing
    return enc
