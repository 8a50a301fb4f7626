/**
 * Parsing and writing ONNX ModelProto files in TypeScript (no Python, no onnx package).
 *
 * The schema is the vendored `onnx.proto`, parsed by protobufjs at first use (a few ms). Decoding
 * keeps every `bytes` field (initializer raw_data in particular) as a view into the file's Buffer,
 * so a 100 MB model decodes in milliseconds and holds its weights in memory once.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import protobuf from 'protobufjs';
import { InputError } from '../errors.js';
import { resolveExternalData } from './external-data.js';
import { tensorDataProblem } from './tensor-data.js';
import { type ModelProto, toNumber } from './onnx-types.js';

export * from './onnx-types.js';

/** Kinds of problems with a model file; lets callers and tests branch without parsing messages. */
export type OnnxModelProblem = 'missing' | 'unreadable' | 'empty' | 'truncated' | 'not-onnx' | 'external-data' | 'invalid';

/**
 * A model file that cannot be used as given: missing, truncated, not ONNX, or missing its external
 * data. Retrying cannot fix it, hence `nonRetryable` (inherited from InputError), which the
 * activities turn into a non-retryable Temporal failure. The message names the file and the problem
 * in plain words; the protobuf library's own error never leaks out as-is.
 */
export class OnnxModelError extends InputError {
  readonly file: string;
  readonly problem: OnnxModelProblem;
  constructor(file: string, problem: OnnxModelProblem, detail: string) {
    super(`ONNX model ${file}: ${detail}`);
    this.name = 'OnnxModelError';
    this.file = file;
    this.problem = problem;
  }
}

export interface LoadedModel {
  /** Absolute path of the .onnx file. */
  path: string;
  /** Size of the .onnx file itself (external data not included). */
  fileBytes: number;
  /** The file's contents; initializer raw_data are views into it (or into external data files). */
  bytes: Buffer;
  /**
   * The decoded model. External-data initializers are already resolved: their raw_data is set
   * (a view into the external file) and their data_location cleared, so re-encoding this object
   * yields a self-contained model.
   */
  proto: ModelProto;
  /** Absolute paths of the external data files that were read (empty for most models). */
  externalDataFiles: string[];
}

let modelType: protobuf.Type | undefined;

/** The reflected onnx.ModelProto type, built once from the vendored schema. */
export function modelProtoType(): protobuf.Type {
  if (!modelType) {
    const source = readFileSync(new URL('./onnx.proto', import.meta.url), 'utf8');
    modelType = protobuf.parse(source, { keepCase: true }).root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Decodes ModelProto bytes. Throws protobufjs errors; loadOnnxModel turns them into plain words. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return modelProtoType().decode(bytes) as unknown as ModelProto;
}

/** Serializes a (possibly modified) decoded model. */
export function encodeModel(model: ModelProto | Record<string, unknown>): Uint8Array {
  const type = modelProtoType();
  return type.encode(model as unknown as protobuf.Message).finish();
}

/**
 * ONNX writers (protobuf C++/Python) serialize fields in field-number order, so a model starts
 * with field 1, ir_version (tag 0x08), followed by a small varint. Used only to word errors:
 * a file with this header that fails to decode was most likely cut short.
 */
function looksLikeOnnxHeader(bytes: Uint8Array): boolean {
  const b1 = bytes[1];
  return bytes[0] === 0x08 && b1 !== undefined && b1 >= 1 && b1 <= 0x40;
}

async function readModelFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OnnxModelError(file, 'missing', 'the file does not exist');
    if (code === 'EISDIR') throw new OnnxModelError(file, 'unreadable', 'this is a directory, not a model file');
    if (code === 'EACCES' || code === 'EPERM') throw new OnnxModelError(file, 'unreadable', 'permission denied reading the file');
    if (code === 'ERR_FS_FILE_TOO_LARGE') {
      throw new OnnxModelError(file, 'invalid', 'the file is larger than 2 GiB, which a protobuf model cannot be (large weights must be in external data)');
    }
    throw new OnnxModelError(file, 'unreadable', `the file cannot be read (${(err as Error).message})`);
  }
}

/**
 * Reads and decodes an ONNX model, resolving external-data initializers (paths relative to the
 * model's folder). Every failure is an OnnxModelError.
 */
export async function loadOnnxModel(modelPath: string): Promise<LoadedModel> {
  const file = path.resolve(modelPath);
  const bytes = await readModelFile(file);
  if (bytes.length === 0) throw new OnnxModelError(file, 'empty', 'the file is empty (0 bytes)');

  let proto: ModelProto;
  try {
    proto = decodeModel(bytes);
  } catch {
    // protobufjs reports e.g. "index out of range: 123 + 10 > 130" or "invalid wire type 7":
    // meaningless to a user, so say what it means instead.
    if (looksLikeOnnxHeader(bytes)) {
      throw new OnnxModelError(file, 'truncated', `the file is truncated or corrupt: its ${bytes.length} bytes do not decode as a complete ONNX model`);
    }
    throw new OnnxModelError(file, 'not-onnx', 'this is not an ONNX model (the file does not decode as an ONNX ModelProto)');
  }

  const graph = proto.graph;
  if (!graph || toNumber(proto.ir_version) <= 0) {
    throw new OnnxModelError(file, 'not-onnx', 'this is not an ONNX model (no IR version or no graph in the file)');
  }
  if (graph.node.length === 0) {
    throw new OnnxModelError(file, looksLikeOnnxHeader(bytes) ? 'truncated' : 'not-onnx', 'the model graph has no nodes (the file is truncated, corrupt, or not an ONNX model)');
  }

  const externalDataFiles = await resolveExternalData(proto, path.dirname(file), (problem) => new OnnxModelError(file, 'external-data', problem));

  for (const t of graph.initializer) {
    const problem = tensorDataProblem(t);
    if (problem) throw new OnnxModelError(file, 'truncated', `the file is truncated or corrupt: ${problem}`);
  }

  return { path: file, fileBytes: bytes.length, bytes, proto, externalDataFiles };
}
