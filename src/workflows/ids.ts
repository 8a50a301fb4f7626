/** Workflow ids are derived from the study id, so a re-run finds the same executions. */
export function studyWorkflowId(studyId: string): string {
  return `dnnbench-study-${studyId}`;
}

export function deviceAccuracyWorkflowId(studyId: string, device: string, modelId: string): string {
  return `${studyWorkflowId(studyId)}/${device}/${modelId}`;
}

/** A queue name has no '#', so this never equals an accuracy workflow's id. */
export function deviceLatencyWorkflowId(studyId: string, device: string): string {
  return `${studyWorkflowId(studyId)}/${device}#latency`;
}

export function latencyRoundWorkflowId(studyId: string, device: string, round: number): string {
  return `${deviceLatencyWorkflowId(studyId, device)}/round-${round}`;
}

export function deviceServingWorkflowId(studyId: string, device: string): string {
  return `${studyWorkflowId(studyId)}/${device}#serving`;
}
