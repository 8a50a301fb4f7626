import { InputError } from '../errors.js';
import type { StudySpecInput } from './study-spec.js';

/**
 * Built-in studies. `quick`: the kit's two smallest models (a fixed-batch fp16 SqueezeNet and an
 * int8 MobileNetV2, so both unusual input paths are exercised), the kit's labelled sample, batch 1, 2, 4.
 */
export function presetSpec(name: string, localQueue: string): StudySpecInput {
  switch (name) {
    case 'quick':
      return {
        models: ['squeezenet1.1_caffe2_fp16_winml', 'mobilenetv2-12-int8'],
        devices: [{ queue: localQueue, accuracy: true }],
        batchSizes: [1, 2, 4],
      };
    case 'kit':
      return {
        models: [
          'squeezenet1.1_caffe2_fp16_winml', 'mobilenetv2-12-int8', 'squeezenet1.1_zoo-weights_opset13',
          'squeezenet1.0_tflite2018_opset13', 'resnet50_keras_opset13',
        ],
        devices: [{ queue: localQueue, accuracy: true }],
        batchSizes: [1, 2, 4, 8, 16, 32, 64],
      };
    default:
      throw new InputError(`unknown preset "${name}" (known: quick, kit)`);
  }
}

export const PRESET_NAMES = ['quick', 'kit'] as const;
