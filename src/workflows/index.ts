// Workflow code only: deterministic, no I/O. Activities are imported as types, so onnxruntime,
// sharp and the file system never enter the workflow bundle.
export { studyWorkflow, type StudyResult } from './study-workflow.js';
export { deviceAccuracyWorkflow, type DeviceAccuracyInput, type DeviceAccuracyResult } from './device-accuracy-workflow.js';
export {
  deviceLatencyWorkflow, latencyRoundWorkflow, type DeviceLatencyInput, type DeviceLatencyResult, type LatencyCellResult,
} from './device-latency-workflow.js';
export { deviceServingWorkflow, type DeviceServingInput, type DeviceServingResult } from './device-serving-workflow.js';
