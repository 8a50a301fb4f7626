// Workflow code only: deterministic, no I/O. Activities are imported as types, so onnxruntime,
// sharp and the file system never enter the workflow bundle.
export { studyWorkflow, type StudyResult } from './study-workflow.js';
export { deviceModelWorkflow, type DeviceModelInput, type DeviceModelResult } from './device-model-workflow.js';
