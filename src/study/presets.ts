import { loadCatalog, PRECISION_RECIPES } from './catalog.js';
import { InputError } from '../errors.js';
import type { StudySpecInput } from './study-spec.js';

/**
 * Built-in studies. `quick`: the kit's two smallest models (a fixed-batch fp16 SqueezeNet and an
 * int8 MobileNetV2, so both unusual input paths are exercised), the kit's labelled sample, batch 1, 2, 4.
 * Each preset's timing meets SPEC.md's minimums (src/study/timing-minimums.ts) or says in `reason`
 * why not: study.parquet records both.
 */
export function presetSpec(name: string, localQueue: string): StudySpecInput {
  switch (name) {
    case 'quick':
      return {
        models: ['squeezenet1.1_caffe2_fp16_winml', 'mobilenetv2-12-int8'],
        devices: [{ queue: localQueue, accuracy: true }],
        batchSizes: [1, 2, 4],
        // README's first command: it must show the whole pipeline working within a minute or two on
        // 2 cores. With the defaults its 6 cells would take up to 10 repetitions of ~5 s each (about
        // 5-6 minutes); this takes 3 of ~2.5 s (under a minute of latency, scripts/estimate-study.ts's
        // cost model, plus a few seconds of accuracy and the dataset's preparation).
        timing: {
          warmupRuns: 10, warmupSeconds: 0.5, minRuns: 50, minSeconds: 1, minRepetitions: 3, maxRepetitions: 3,
          reason: 'quick is a smoke test of the pipeline, kept to a minute or two: 0.5 s of warm-up and 1 s of timed runs per repetition instead of 1 s and 3 s. Its figures are not to be quoted.',
        },
      };
    case 'kit':
      return {
        models: KIT_MODELS,
        devices: [{ queue: localQueue, accuracy: true }],
        batchSizes: [1, 2, 4, 8, 16, 32, 64],
        // The default timing, SPEC.md's minimums: 19-41 minutes of latency (3 to 10 repetitions) + 1 of
        // accuracy on the idle 2-core host of the papers runs of 2026-11-24 (scripts/estimate-study.ts's
        // cost model on its run times). ResNet-50 at batch 32 and 64 (a repetition of ~70 and ~140 s)
        // get 2 and 1 within the 120 s budget per cell, and the verdict 'noisy'.
      };
    case 'papers':
      return {
        // The papers' architectures exported from torchvision (random weights unless pretrained ones
        // could be downloaded: docs/EXPORT.md; accuracy is then the catalog's published top-1), plus
        // the kit's real models, whose accuracy is measured.
        models: [...loadCatalog().filter((m) => m.source.torchvision).map((m) => m.id), ...KIT_MODELS],
        devices: [{ queue: localQueue, accuracy: true }],
        batchSizes: [1, 2, 4, 8, 16, 32, 64],
        // Timing sized to finish within an hour on a 2-core host. One run of every cell (33 models x
        // 127 images) takes 2.4 minutes on the idle host of the runs of 2026-11-24 (VGG-19
        // 11.5 s at batch 64; ~35 s under load), and every repetition pays its process's start (0.7 s
        // there) and a session, so SPEC.md's minimums (>= 10 warm-up + 50 timed runs, 1 s + 3 s, 3 to 10
        // repetitions) would take many hours. The runs are traded for repetitions: every cell gets 3,
        // each in a fresh process, which is what shows the process-to-process spread (10-28% for the
        // smallest cells there) that longer runs in one process cannot. A long run is itself an average,
        // so 1 warm-up and 2 timed runs serve the big cells; the 0.5 s floors give the short cells tens
        // to hundreds of runs per repetition; warm-up until steady is capped at 1 s, as the old preset's
        // was in effect. Not more than 3: repeating the imprecise small cells up to 5 times would add
        // over 20 minutes. The 50 s budget per cell stops a cell after 2 repetitions of 25 s or more
        // (VGG-16 and VGG-19 at batch 64 there, ~32-39 s) and after 1 of 50 s or more (under load),
        // with the verdict 'noisy'.
        // Estimated by scripts/estimate-study.ts --preset papers --times <the runs of 2026-11-24> (that
        // host's run times, this host's sessions and process start): on 2026-12-03 on the dev VM (2 vCPU,
        // load average 2.3, a 1.75 s process start) it printed 55.4 minutes of latency + 1.2 of accuracy.
        // The run that day (docs/studies/epyc-zen3-2vcpu-avx2, findings.md) took 68.9 minutes of latency:
        // the hypervisor stole enough CPU time to discard 99 of its 782 repetitions, which were run again.
        // On 2026-12-05 on a 2-vCPU Xeon the run (docs/studies/xeon-2vcpu-avx512-amx) took 44.5 minutes
        // of latency, 1 repetition discarded; the same estimate printed 50.2 + 1.9 (its estimate.txt). On
        // 2026-12-06 on another VM of that kind (docs/studies/xeon-2vcpu-avx512-amx-2026-12-06), with the
        // code of that day, 47.4 minutes, 17 repetitions discarded; the estimate printed 53.1 + 1.9.
        timing: {
          warmupRuns: 1, warmupSeconds: 0.5, minRuns: 2, minSeconds: 0.5, minRepetitions: 3, maxRepetitions: 3,
          cellBudgetSeconds: 50, warmup: { maxSeconds: 1 },
          reason: 'papers (33 models x 7 batch sizes) must finish within an hour on a 2-core host, so the run minimums are traded for 3 repetitions per cell, each a fresh process: per repetition 1 warm-up and 2 timed runs, 0.5 s of each at least, as a run of a big cell is itself an average over seconds. A cell whose repetition takes half the 50 s budget or more (VGG-16 and VGG-19 at batch 64 on an idle host) gets 2 repetitions, 1 past the whole budget, and is marked noisy.',
        },
        // The latency activity heartbeats between runs, and one VGG-19 run at batch 64 takes ~35 s
        // on a busy 2-core host (plus its process start and session creation before the first): the
        // default minute would be too close.
        heartbeatTimeout: '3 minutes',
      };
    case 'serving':
      return {
        // Serving scenarios (docs/SERVING.md) on two small kit models: SingleStream (which sets the
        // Server bound, 4 × its p50), then per scheduler setting Offline, MultiStream and two capacity
        // searches back to back: batching off with one instance of all threads; dynamic batching up to
        // 4 with 2 ms of queue delay; two instances of one thread each. The batch sweep (1 to 8) is
        // there to compare Server capacity and Offline throughput with.
        models: ['squeezenet1.1_zoo-weights_opset13', 'mobilenetv2-12-int8'],
        devices: [{ queue: localQueue }],
        batchSizes: [1, 2, 4, 8],
        // The sweep is there for comparison, not for its own precision: 3 repetitions per cell, as
        // quick and papers have. At the default (up to 10 until ±2%), the noisy 2-vCPU dev VM of
        // 2026-12-03 spent 10 minutes on 3 of the 8 cells.
        // The minimums still hold; a cell whose interval is wider than ±2% after 3 says so (noisy).
        timing: { minRepetitions: 3, maxRepetitions: 3 },
        serving: {
          schedulers: [{}, { maxBatch: 4, maxQueueDelayMs: 2 }, { instances: 2 }],
          search: { searches: 2 },
        },
      };
    case 'variants':
      return {
        // Variants side by side (docs/VARIANTS.md): the kit's two real fp32 models (accuracy measured)
        // and two torchvision architectures (random weights: timed only), each as fp32 and as the
        // fp16, int8-dynamic and int8-static copies tools/variants makes, each timed at 2 and 1
        // intra-op threads (t2 first: the reference the papers' laws use). Make them first:
        // `npm run export:models -- --random-weights --arch resnet18 --arch mobilenet_v3_small` and
        // `npm run variants:make -- --model <id> --recipe fp16 --recipe int8-dynamic --recipe int8-static`
        // for each of the four (docs/VARIANTS.md gives the loop).
        models: VARIANT_PARENTS.flatMap((id) => [id, ...PRECISION_RECIPES.map((r) => `${id}.${r}`)]),
        devices: [{ queue: localQueue, accuracy: true, variants: [{ name: 't2', threads: 2 }, { name: 't1', threads: 1 }] }],
        batchSizes: [1, 4, 16],
        // The int8-static copies are calibrated on the kit's last 200 images by id; the first 1,100 are
        // evaluated, so no variant is scored on an image it was calibrated on.
        dataset: { limit: 1100 },
        // 16 models x 2 runtime variants x 3 batch sizes = 96 cells: with SPEC.md's minimums (3 to 10
        // repetitions of >= 10 warm-up and 50 timed runs, 1 s + 3 s) that would be hours on 2 cores.
        // As papers does, the runs are traded for 3 repetitions per cell, each a fresh process.
        timing: {
          warmupRuns: 1, warmupSeconds: 0.5, minRuns: 2, minSeconds: 0.5, minRepetitions: 3, maxRepetitions: 3,
          cellBudgetSeconds: 50, warmup: { maxSeconds: 1 },
          reason: 'variants (16 models x 2 runtime variants x 3 batch sizes) must finish within 45 minutes on a 2-core host, so the run minimums are traded for 3 repetitions per cell, each a fresh process: per repetition 1 warm-up and 2 timed runs, 0.5 s of each at least.',
        },
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

/** The variants preset's parents: the kit's two real fp32 models and two small torchvision architectures. */
const VARIANT_PARENTS = ['resnet50_keras_opset13', 'squeezenet1.1_zoo-weights_opset13', 'tv_resnet18', 'tv_mobilenet_v3_small'];

export const PRESET_NAMES = ['quick', 'kit', 'papers', 'serving', 'variants'] as const;
