"""The architectures of the papers' study (Canziani et al. 2016, Bianco et al. 2018) that torchvision
ships, with the names dnnbench shows for them, and what torchvision publishes about each.

Every entry uses the IMAGENET1K_V1 weights: the original training recipes, closest to what the
papers measured (the V2 weights are a 2021 recipe with other resize sizes and higher accuracy).
"""
from __future__ import annotations

from typing import Any

import torchvision
from torchvision.models import get_model_weights, list_models

# (torchvision name, display name, family). Order: roughly the papers' order, small to large per family.
PAPERS: list[tuple[str, str, str]] = [
    ("alexnet", "AlexNet", "AlexNet"),
    ("vgg16", "VGG-16", "VGG"),
    ("vgg19", "VGG-19", "VGG"),
    ("googlenet", "GoogLeNet (Inception v1)", "Inception"),
    ("inception_v3", "Inception-v3", "Inception"),
    ("resnet18", "ResNet-18", "ResNet"),
    ("resnet34", "ResNet-34", "ResNet"),
    ("resnet50", "ResNet-50 (v1.5)", "ResNet"),
    ("resnet101", "ResNet-101 (v1.5)", "ResNet"),
    ("resnet152", "ResNet-152 (v1.5)", "ResNet"),
    ("squeezenet1_0", "SqueezeNet 1.0", "SqueezeNet"),
    ("squeezenet1_1", "SqueezeNet 1.1", "SqueezeNet"),
    ("densenet121", "DenseNet-121", "DenseNet"),
    ("densenet169", "DenseNet-169", "DenseNet"),
    ("densenet201", "DenseNet-201", "DenseNet"),
    ("mobilenet_v2", "MobileNetV2", "MobileNet"),
    ("mobilenet_v3_small", "MobileNetV3-Small", "MobileNet"),
    ("mobilenet_v3_large", "MobileNetV3-Large", "MobileNet"),
    ("shufflenet_v2_x0_5", "ShuffleNetV2 0.5x", "ShuffleNet"),
    ("shufflenet_v2_x1_0", "ShuffleNetV2 1.0x", "ShuffleNet"),
    ("mnasnet1_0", "MnasNet-B1 1.0", "MnasNet"),
    ("resnext50_32x4d", "ResNeXt-50 32x4d", "ResNeXt"),
    ("wide_resnet50_2", "Wide ResNet-50-2", "Wide ResNet"),
    ("efficientnet_b0", "EfficientNet-B0", "EfficientNet"),
    ("efficientnet_b3", "EfficientNet-B3", "EfficientNet"),
    ("regnet_y_400mf", "RegNetY-400MF", "RegNet"),
    ("regnet_y_1_6gf", "RegNetY-1.6GF", "RegNet"),
    ("convnext_tiny", "ConvNeXt-T", "ConvNeXt"),
]

WEIGHTS_NAME = "IMAGENET1K_V1"

# Builder arguments that reproduce the module torchvision builds when it loads pretrained weights:
# the Inception models then rescale their input themselves (transform_input) and drop the
# auxiliary classifiers, which inference never runs.
PRETRAINED_LIKE_KWARGS: dict[str, dict[str, Any]] = {
    "googlenet": {"aux_logits": False, "transform_input": True, "init_weights": False},
    "inception_v3": {"aux_logits": False, "transform_input": True, "init_weights": False},
}


def model_id(arch: str) -> str:
    """dnnbench's catalog id of an exported torchvision architecture."""
    return f"tv_{arch}"


def classifier_names() -> list[str]:
    return sorted(list_models(module=torchvision.models))


def names_of(arch: str) -> tuple[str, str]:
    for name, display, family in PAPERS:
        if name == arch:
            return display, family
    return arch, arch


def weights_of(arch: str):
    """The IMAGENET1K_V1 weights enum member of an architecture (its transforms and published meta)."""
    enum = get_model_weights(arch)
    try:
        return enum[WEIGHTS_NAME]
    except KeyError:
        return enum.DEFAULT


def preprocessing_of(weights) -> dict[str, Any]:
    """dnnbench's Preprocessing (src/study/study-spec.ts) from the weights' own eval transform."""
    t = weights.transforms()
    return {
        "resize": int(t.resize_size[0]),
        "crop": int(t.crop_size[0]),
        "channelOrder": "RGB",
        "scale": "unit",
        "mean": [float(v) for v in t.mean],
        "std": [float(v) for v in t.std],
        "layout": "NCHW",
    }


def interpolation_of(weights) -> str:
    return str(weights.transforms().interpolation.value)


def published_of(weights) -> dict[str, Any]:
    """torchvision's published figures. Its "GFLOPS" (`_ops`) are multiply-adds: GMACs."""
    meta = weights.meta
    metrics = meta["_metrics"]["ImageNet-1K"]
    return {
        "top1": metrics["acc@1"],
        "top5": metrics["acc@5"],
        "params": meta["num_params"],
        "gmacs": meta["_ops"],
        "file_mb": meta["_file_size"],
        "source": (
            f"torchvision {torchvision.__version__.split('+')[0]} {weights.__class__.__name__}.{weights.name}.meta "
            "(_metrics ImageNet-1K acc@1/acc@5, num_params, _ops: torchvision's 'GFLOPS', which are multiply-adds)"
        ),
    }
