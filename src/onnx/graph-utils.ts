/**
 * Small helpers over a decoded GraphProto: attributes, constants, consumers, topological order,
 * and reading shapes out of ValueInfoProto.
 */
import {
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
  hasField,
  toNumber,
} from './onnx-types.js';
import { dtypeName } from './tensor-data.js';

export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = attr(node, name);
  return a && hasField(a, 'i') ? toNumber(a.i) : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = attr(node, name);
  return a ? a.ints.map((v) => toNumber(v)) : undefined;
}

/**
 * Tensors whose values are fixed in the file: initializers, plus outputs of Constant nodes (some
 * exporters store weights and shapes that way instead of as initializers).
 */
export function constantTensors(graph: GraphProto): Map<string, TensorProto> {
  const out = new Map<string, TensorProto>();
  for (const t of graph.initializer) out.set(t.name, t);
  for (const node of graph.node) {
    if (node.op_type !== 'Constant' || node.domain !== '') continue;
    const value = attr(node, 'value');
    const name = node.output[0];
    if (value?.t && name) out.set(name, value.t);
  }
  return out;
}

export interface Use {
  node: NodeProto;
  /** Position of the tensor among the node's inputs. */
  index: number;
}

/** tensor name → the (node, input position) pairs that read it. Empty input names are skipped. */
export function consumers(graph: GraphProto): Map<string, Use[]> {
  const out = new Map<string, Use[]>();
  for (const node of graph.node) {
    node.input.forEach((name, index) => {
      if (!name) return;
      const list = out.get(name);
      if (list) list.push({ node, index });
      else out.set(name, [{ node, index }]);
    });
  }
  return out;
}

/**
 * Nodes in topological order. ONNX requires graphs to be stored sorted, but some writers do not
 * comply; a stable Kahn sort costs little and makes the liveness walk correct either way.
 */
export function topoSort(graph: GraphProto): NodeProto[] {
  const producer = new Map<string, number>();
  graph.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const indegree = graph.node.map(() => 0);
  const next: number[][] = graph.node.map(() => []);
  graph.node.forEach((n, i) => {
    const deps = new Set<number>();
    for (const name of n.input) {
      const p = name ? producer.get(name) : undefined;
      if (p !== undefined && p !== i) deps.add(p);
    }
    indegree[i] = deps.size;
    for (const p of deps) next[p]?.push(i);
  });
  const ready: number[] = [];
  indegree.forEach((d, i) => d === 0 && ready.push(i));
  const order: NodeProto[] = [];
  // Keep the file's order among ready nodes (smallest index first) so sorted graphs stay as-is.
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift() as number;
    order.push(graph.node[i] as NodeProto);
    for (const j of next[i] ?? []) {
      indegree[j] = (indegree[j] ?? 0) - 1;
      if (indegree[j] === 0) ready.push(j);
    }
  }
  if (order.length !== graph.node.length) throw new Error('the graph has a cycle');
  return order;
}

/** A dim from a ValueInfoProto: a number, a symbol (dim_param), or '?' when neither is set. */
export type Dim = number | string;

export function valueInfoDims(vi: ValueInfoProto): Dim[] | undefined {
  const shape = vi.type?.tensor_type?.shape;
  if (!shape) return undefined;
  return shape.dim.map((d) => {
    if (hasField(d, 'dim_value')) return toNumber(d.dim_value);
    if (hasField(d, 'dim_param') && d.dim_param) return d.dim_param;
    return '?';
  });
}

export function valueInfoDtype(vi: ValueInfoProto): string {
  const tt = vi.type?.tensor_type;
  if (!tt) return vi.type?.sequence_type ? 'sequence' : vi.type?.map_type ? 'map' : 'unknown';
  return dtypeName(tt.elem_type);
}

/** Graph inputs that are real inputs, not initializers (IR < 4 lists every weight as an input). */
export function realInputs(graph: GraphProto): ValueInfoProto[] {
  const init = new Set(graph.initializer.map((t) => t.name));
  for (const s of graph.sparse_initializer) if (s.values) init.add(s.values.name);
  return graph.input.filter((vi) => !init.has(vi.name));
}
