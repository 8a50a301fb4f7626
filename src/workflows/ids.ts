/** Workflow ids are derived from the study id, so a re-run finds the same executions. */
export function studyWorkflowId(studyId: string): string {
  return `dnnbench-study-${studyId}`;
}

export function deviceModelWorkflowId(studyId: string, device: string, modelId: string): string {
  return `${studyWorkflowId(studyId)}/${device}/${modelId}`;
}
