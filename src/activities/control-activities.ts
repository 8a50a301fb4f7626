import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Context, heartbeat } from '@temporalio/activity';
import { resolveModel, loadCatalog, type ResolvedModel } from '../study/catalog.js';
import { listImageSource } from '../prepare/image-sources.js';
import { prepareDataset } from '../prepare/prepare.js';
import { kitImages } from '../prepare/kit.js';
import { profileLoadedModel } from '../profile/profile.js';
import { describeModelIo } from '../onnx/model-io.js';
import { loadOnnxModel } from '../onnx/onnx-proto.js';
import { cellPath, readCell, writeCell } from '../results/cells.js';
import type { ModelCell } from '../results/cell-types.js';
import { writeStudyTables, type StudySummary } from '../analysis/study-tables.js';
import type { ResolvedStudySpec } from '../study/study-spec.js';
import { locationOf, localPathOf, type Location } from '../results/location.js';
import { classifyFailures } from './failures.js';

export interface StudyPlan {
  models: ResolvedModel[];
  kit: string;
}

export interface DatasetRef {
  /** The prepared shards' folder, as a location every device's workers can fetch from. */
  uri: Location;
  n: number;
  failed: number;
  geometry: { resize: number; crop: number };
  name: string;
}

/** What control activities are built from: no module globals, no environment reads. */
export interface ControlActivityDeps {
  /** Root of what this worker caches (settings' DNNBENCH_DATA): prepared datasets. */
  dataDir: string;
  /** The kit a spec without `dataset.kit` reads (settings' DNNBENCH_KIT). */
  kitDir: string;
}

/** Activities that need no particular hardware: they run on the control queue beside the workflows. */
export function createControlActivities(deps: ControlActivityDeps) {
  return {
    /** Resolves every model reference to a file and its preprocessing; any bad one fails the study at once. */
    async planStudy(spec: ResolvedStudySpec): Promise<StudyPlan> {
      return classifyFailures(async () => {
        const kit = path.resolve(spec.dataset.kit ?? deps.kitDir);
        const models = await Promise.all(spec.models.map((ref) => resolveModel(ref, kit)));
        const ids = models.map((m) => m.id);
        const dup = ids.find((id, i) => ids.indexOf(id) !== i);
        if (dup) throw Object.assign(new Error(`two models of the spec have the id "${dup}": give one an explicit id`), { nonRetryable: true });
        return { models, kit };
      });
    },

    /**
     * Preprocesses the study's labelled images (the kit's, or an ImageNet folder in any layout of
     * docs/DATASET.md) for one geometry into cached Arrow shards. Heartbeats its shard count; a
     * retried attempt finds the finished shards on disk and builds only the rest.
     */
    async prepareDataset(req: { spec: ResolvedStudySpec; kit: string; geometry: { resize: number; crop: number } }): Promise<DatasetRef> {
      return classifyFailures(async () => {
        const ds = req.spec.dataset;
        const source = ds.images
          ? await listImageSource({ images: ds.images, labels: ds.labels, synsets: ds.synsets, limit: ds.limit, kit: req.kit })
          : { images: await kitImages(req.kit, ds.set, ds.limit), failed: [], labelSource: `${req.kit}/manifest.json` };
        let progress = { done: 0, total: 0 };
        // Also while waiting for another geometry's preparation (one at a time per process).
        const beat = setInterval(() => heartbeat(progress), 10_000);
        try {
          const { dir, manifest } = await prepareDataset({
            images: source.images, failedInputs: source.failed, geometry: req.geometry, resizeFilter: ds.resizeFilter,
            labelSource: source.labelSource, cacheRoot: path.join(deps.dataDir, 'cache', 'datasets'),
            onShard: (done, total) => { progress = { done, total }; heartbeat(progress); },
            signal: Context.current().cancellationSignal,
          });
          const limit = ds.limit ? `[:${ds.limit}]` : '';
          return {
            uri: locationOf(dir), n: manifest.n, failed: manifest.failed.length, geometry: req.geometry,
            name: ds.images ? `images:${path.basename(path.resolve(ds.images))}${limit}` : `kit:${ds.set}${limit}`,
          };
        } finally {
          clearInterval(beat);
        }
      });
    },

    /** Parameters, operations and I/O of one model from its ONNX graph; written once per study. */
    async profileModel(req: { model: ResolvedModel; outDir: string }): Promise<ModelCell> {
      return classifyFailures(async () => {
        const file = cellPath(localPathOf(req.outDir, 'results'), 'models', req.model.id);
        const done = await readCell<ModelCell>(file);
        if (done) return done;
        const { model } = req;
        const onnx = await loadOnnxModel(model.path);
        const profile = await profileLoadedModel(onnx);
        const io = describeModelIo(onnx);
        const input = io.inputs[0]!;
        const published = loadCatalog().find((c) => c.id === model.id)?.published;
        const cell: ModelCell = {
          model_id: model.id, path: model.path, architecture: model.architecture ?? null,
          file_bytes: (await stat(model.path)).size, params: profile.params, weight_bytes: profile.weight_bytes,
          macs: profile.macs, flops: profile.flops, traffic_bytes: profile.traffic_bytes,
          arithmetic_intensity: profile.arithmetic_intensity, largest_activation_bytes: profile.largest_activation_bytes,
          peak_live_activation_bytes: profile.peak_live_activation_bytes, uncounted_ops: profile.uncounted_ops,
          opset: profile.opset, by_op_type: profile.by_op_type, input_name: input.name, input_dtype: input.dtype,
          input_shape: `[${input.dims.join(',')}]`, fixed_batch: io.fixedBatch,
          preprocessing: JSON.stringify(model.preprocessing), preprocessing_source: model.preprocessingSource,
          resize: model.preprocessing.resize, crop: model.preprocessing.crop, num_classes: model.output.classes,
          // Catalogs give percentages; results hold fractions.
          published_top1: published?.top1 != null ? published.top1 / 100 : null,
          published_top5: published?.top5 != null ? published.top5 / 100 : null,
          published_source: published?.source ?? null,
          weights: model.weights ?? 'pretrained',
          // A precision variant (tools/variants): its parent, recipe and calibration images (variants.parquet leaves those out).
          ...(model.variantOf ? {
            variant_of: model.variantOf, recipe: model.recipe ?? null, calibration_images: model.calibrationImageIds?.length ?? null,
            ...(model.calibrationImageIds ? { calibration_image_ids: model.calibrationImageIds } : {}),
          } : {}),
        };
        await writeCell(file, cell);
        return cell;
      });
    },

    /** Rebuilds the study's Parquet tables from its cells. */
    async writeTables(req: { outDir: string; summary: StudySummary }): Promise<Record<string, number>> {
      return writeStudyTables(localPathOf(req.outDir, 'results'), req.summary);
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
