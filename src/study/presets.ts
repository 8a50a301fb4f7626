import { loadCatalog } from './catalog.js';
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
        models: KIT_MODELS,
        devices: [{ queue: localQueue, accuracy: true }],
        batchSizes: [1, 2, 4, 8, 16, 32, 64],
      };
    case 'papers':
      return {
        // The papers' architectures exported from torchvision (random weights unless pretrained ones
        // could be downloaded: docs/EXPORT.md; accuracy is then the catalog's published top-1), plus
        // the kit's real models, whose accuracy is measured.
        models: [...loadCatalog().filter((m) => m.source.torchvision).map((m) => m.id), ...KIT_MODELS],
        devices: [{ queue: localQueue, accuracy: true }],
        batchSizes: [1, 2, 4, 8, 16, 32, 64],
        // Timing rules sized for < 2 hours on a 2-core host (scripts/estimate-study.ts; docs/EXPORT.md).
        // The time goes into the large cells: one run of every (model, batch) cell, 33 models x 127
        // images, takes 8-9 minutes here (VGG-19 alone ~35 s a run at batch 64), so the defaults (at
        // least 10 warm-up + 50 timed runs) would take over 8 hours. A long run is itself an average
        // over seconds, so the run minimums are small (2 warm-up, 5 timed: ~60 minutes for the big
        // cells), while the seconds minimums (1 s, 3 s) give the short cells tens to hundreds of runs,
        // whose p50 is then as stable as the defaults'. Estimated 70-75 minutes of measuring under the
        // load of other work on this host, plus accuracy on the kit models and dataset preparation.
        timing: { warmupRuns: 2, warmupSeconds: 1, minRuns: 5, minSeconds: 3 },
        // The latency activity heartbeats between runs, and one VGG-19 run at batch 64 takes ~35 s
        // on a busy 2-core host (plus two session creations before the first): the default minute
        // would be too close.
        heartbeatTimeout: '3 minutes',
      };
    default:
      throw new InputError(`unknown preset "${name}" (known: ${PRESET_NAMES.join(', ')})`);
  }
}

/** The kit's five real models (all with labelled accuracy). */
const KIT_MODELS = [
  'squeezenet1.1_caffe2_fp16_winml', 'mobilenetv2-12-int8', 'squeezenet1.1_zoo-weights_opset13',
  'squeezenet1.0_tflite2018_opset13', 'resnet50_keras_opset13',
];

export const PRESET_NAMES = ['quick', 'kit', 'papers'] as const;
