/** Two papers runs on one kind of host a day apart, compared whole: `dnnbench compare a b` > output. */
export const ACROSS_DAYS = {
  a: 'docs/studies/xeon-2vcpu-avx512-amx',
  b: 'docs/studies/xeon-2vcpu-avx512-amx-2026-12-06',
  output: 'docs/studies/xeon-2vcpu-avx512-amx-2026-12-06/against-2026-12-05.txt',
} as const;

/** The committed runs of the papers preset (two on the Xeon kind, a day apart), each with its calibration run (docs/studies). */
export const PAPERS_STUDIES = ['docs/studies/epyc-zen3-2vcpu-avx2', 'docs/studies/xeon-2vcpu-avx512-amx', 'docs/studies/xeon-2vcpu-avx512-amx-2026-12-06'] as const;
