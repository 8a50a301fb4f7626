/**
 * ONNX external data: an initializer with data_location = EXTERNAL keeps its bytes in another file
 * named by external_data {location, offset, length}, relative to the model's folder.
 *
 * We read each external file once and point raw_data at a view of it, then clear data_location and
 * external_data. The decoded model is then self-contained: counting code reads raw_data as usual,
 * and re-encoding (rebatch, shape probe) writes the data inline.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DATA_LOCATION_EXTERNAL, type ModelProto, type TensorProto } from './onnx-types.js';
import { tensorByteLength } from './tensor-data.js';

type MakeError = (problem: string) => Error;

function externalTensors(model: ModelProto): TensorProto[] {
  const graph = model.graph;
  if (!graph) return [];
  const out = graph.initializer.filter((t) => t.data_location === DATA_LOCATION_EXTERNAL);
  // Constant nodes may also carry external tensors.
  for (const node of graph.node) {
    for (const a of node.attribute) {
      if (a.t && a.t.data_location === DATA_LOCATION_EXTERNAL) out.push(a.t);
    }
  }
  return out;
}

/** Resolves external data in place; returns the absolute paths of the files read. */
export async function resolveExternalData(model: ModelProto, modelDir: string, makeError: MakeError): Promise<string[]> {
  const tensors = externalTensors(model);
  if (tensors.length === 0) return [];
  const files = new Map<string, Buffer>();

  for (const t of tensors) {
    const entries = new Map(t.external_data.map((e) => [e.key, e.value]));
    const location = entries.get('location');
    if (!location) throw makeError(`initializer '${t.name}' is stored externally but names no location`);
    // Same rule as onnxruntime: the data must live under the model's folder.
    if (path.isAbsolute(location)) throw makeError(`initializer '${t.name}' points to an absolute external data path '${location}', which is not allowed`);
    const full = path.resolve(modelDir, location);
    if (full !== modelDir && !full.startsWith(modelDir + path.sep)) {
      throw makeError(`initializer '${t.name}' points to external data '${location}' outside the model's folder`);
    }

    let data = files.get(full);
    if (!data) {
      try {
        data = await readFile(full);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'is missing' : `cannot be read (${(err as Error).message})`;
        throw makeError(`external data file '${location}' for initializer '${t.name}' ${why} (looked in ${modelDir})`);
      }
      files.set(full, data);
    }

    const offset = Number(entries.get('offset') ?? '0');
    const length = entries.has('length') ? Number(entries.get('length')) : tensorByteLength(t);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
      throw makeError(`initializer '${t.name}' has an invalid external data offset/length (${entries.get('offset')}, ${entries.get('length')})`);
    }
    if (offset + length > data.length) {
      throw makeError(`external data file '${location}' is too short for initializer '${t.name}': it needs bytes ${offset}..${offset + length} but the file has ${data.length} bytes (truncated?)`);
    }
    t.raw_data = data.subarray(offset, offset + length);
    t.data_location = 0;
    t.external_data = [];
  }
  return [...files.keys()];
}
