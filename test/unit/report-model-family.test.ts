/**
 * The report's families: from models.parquet's architecture strings (the papers study's own, and
 * harder ones), the model id where the architecture names none, "other" where neither does; and
 * the short names the figures label points with.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familiesPresent, modelFamily, shortNames } from '../../src/report/model-family.js';

test('architecture strings map to their family', () => {
  const cases: [string, string][] = [
    ['ResNet-50 (v1.5)', 'ResNet'],
    ['ResNet-50 v1 (Keras Applications weights, ported from the original Caffe ResNet-50)', 'ResNet'],
    ['SqueezeNet 1.1 (Caffe/Caffe2 model zoo, conv1 64x3x3x3), fp16 weights and I/O', 'SqueezeNet'],
    ['MobileNetV2 1.0 224, int8 (QLinearConv static quantization)', 'MobileNet'],
    ['MobileNetV3-Small', 'MobileNet'],
    ['MnasNet-B1 1.0', 'MnasNet'],
    ['Wide ResNet-50-2', 'ResNeXt / Wide ResNet'],
    ['ResNeXt-50 32x4d', 'ResNeXt / Wide ResNet'],
    ['GoogLeNet (Inception v1)', 'GoogLeNet / Inception'],
    // Both names occur: the one the name starts with wins.
    ['Inception-ResNet-v2', 'GoogLeNet / Inception'],
    ['EfficientNet-B0 (inverted residual blocks from MobileNetV2)', 'EfficientNet'],
    ['VGG-19', 'VGG'], ['AlexNet', 'AlexNet'], ['DenseNet-201', 'DenseNet'], ['ShuffleNetV2 0.5x', 'ShuffleNet'],
    ['RegNetY-400MF', 'RegNet'], ['ConvNeXt-T', 'ConvNeXt'],
  ];
  for (const [architecture, family] of cases) assert.equal(modelFamily(architecture, 'some-id').name, family, architecture);
});

test('the model id decides where the architecture is missing or names no family; otherwise "other"', () => {
  assert.equal(modelFamily(null, 'tv_wide_resnet50_2').name, 'ResNeXt / Wide ResNet');
  assert.equal(modelFamily(null, 'mobilenetv2-12-int8').name, 'MobileNet');
  assert.equal(modelFamily('A custom classifier', 'tv_densenet121').name, 'DenseNet');
  assert.equal(modelFamily('Swin-T', 'swin_t').name, 'other');
  assert.equal(modelFamily(null, 'my-model').name, 'other');
});

test('families present come once each, in legend order, "other" last, each with its own colour', () => {
  const got = familiesPresent(['other', 'SqueezeNet', 'AlexNet', 'SqueezeNet', 'not a family']);
  assert.deepEqual(got.map((f) => f.name), ['AlexNet', 'SqueezeNet', 'other']);
  const all = familiesPresent(['AlexNet', 'VGG', 'GoogLeNet / Inception', 'ResNet', 'ResNeXt / Wide ResNet', 'DenseNet', 'SqueezeNet',
    'MobileNet', 'ShuffleNet', 'MnasNet', 'EfficientNet', 'RegNet', 'ConvNeXt', 'other']);
  assert.equal(all.length, 14);
  assert.equal(new Set(all.map((f) => f.color)).size, 14, 'one hue per family');
});

test('short names drop tv_ and _opsetNN, unless two models would then read the same', () => {
  const names = shortNames(['tv_resnet18', 'squeezenet1.1_zoo-weights_opset13', 'tv_resnet50', 'resnet50_opset13', 'mobilenetv2-12-int8']);
  assert.deepEqual(Object.fromEntries(names), {
    tv_resnet18: 'resnet18', 'squeezenet1.1_zoo-weights_opset13': 'squeezenet1.1_zoo-weights',
    tv_resnet50: 'tv_resnet50', resnet50_opset13: 'resnet50_opset13', 'mobilenetv2-12-int8': 'mobilenetv2-12-int8',
  });
});
