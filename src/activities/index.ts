export { createControlActivities, type ControlActivities, type ControlActivityDeps, type StudyPlan, type DatasetRef } from './control-activities.js';
export { createDeviceActivities, type DeviceActivities, type DeviceActivityDeps, type DeviceCellRequest,
  type LatencyRepetitionOutcome, type LatencyRepetitionRequest } from './device-activities.js';
export { createServingActivities, type ResolvedScheduler, type ServingActivities, type ServingRunActivityRequest, type ServingRunOutcome } from './serving-activities.js';
