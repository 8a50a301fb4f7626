"""Where the exported graph's parameter count comes from, so that dnnbench's count can be checked
exactly against torchvision's published num_params.

The TorchScript exporter in eval mode with constant folding merges each BatchNorm that directly
follows a convolution into that convolution: BN's scale and shift (2·C learned values) disappear
and the convolution gains a bias of C values (or keeps its own, already counted). A BatchNorm fed
by anything else (DenseNet's BN after a concatenation) stays in the graph. Modules that the eval
forward never calls (e.g. a classifier head left unused) are not exported at all.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters(recurse=False))


def param_accounting(model: nn.Module, example: torch.Tensor) -> dict[str, Any]:
    """Runs one eval forward with hooks and returns the expected count of learned values in the ONNX graph."""
    conv_of_output: dict[int, nn.Conv2d] = {}
    keep_alive: list[torch.Tensor] = []  # so that no tensor id is reused during the forward
    called: set[int] = set()
    folded: list[tuple[str, int, int]] = []  # (bn name, channels, learned values removed)
    names = {id(m): n for n, m in model.named_modules()}

    def on_call(module: nn.Module, inputs: tuple, output: Any) -> None:
        called.add(id(module))
        if isinstance(module, nn.Conv2d) and isinstance(output, torch.Tensor):
            conv_of_output[id(output)] = module
            keep_alive.append(output)

    def on_bn(module: nn.Module, inputs: tuple) -> None:
        conv = conv_of_output.get(id(inputs[0]))
        if conv is not None and module.affine:
            channels = module.num_features
            removed = 2 * channels if conv.bias is not None else channels
            folded.append((names[id(module)], channels, removed))

    hooks = [m.register_forward_hook(on_call) for m in model.modules()]
    hooks += [m.register_forward_pre_hook(on_bn) for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    try:
        with torch.no_grad():
            model(example)
    finally:
        for h in hooks:
            h.remove()

    module_params = sum(p.numel() for p in model.parameters())
    unused = {names[id(m)]: _count(m) for m in model.modules() if id(m) not in called and _count(m) > 0}
    unused_params = sum(unused.values())
    removed = sum(r for _, _, r in folded)
    return {
        "module_params": module_params,
        "unused_params": unused_params,
        "unused_modules": sorted(unused),
        "folded_bn_layers": len(folded),
        "folded_bn_channels": sum(c for _, c, _ in folded),
        "folded_bn_params_removed": removed,
        "expected_onnx_params": module_params - unused_params - removed,
    }


def aux_head_params(arch: str, published_params: int) -> int:
    """Parameters of auxiliary classifiers that torchvision's published num_params includes
    although inference never runs them: Inception-v3's AuxLogits are counted, GoogLeNet's aux1/aux2
    are not (its figure is the model without them). 0 when the published count has no aux head."""
    from torchvision.models import get_model

    if arch not in ("googlenet", "inception_v3"):
        return 0
    with_aux = sum(p.numel() for p in get_model(arch, weights=None, aux_logits=True, init_weights=False).parameters())
    without = sum(p.numel() for p in get_model(arch, weights=None, aux_logits=False, init_weights=False).parameters())
    return with_aux - without if published_params == with_aux else 0
