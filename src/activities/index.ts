export { createControlActivities, type ControlActivities, type StudyPlan, type DatasetRef } from './control-activities.js';
export { createDeviceActivities, type DeviceActivities, type DeviceCellRequest } from './device-activities.js';
