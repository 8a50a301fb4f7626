/** The committed runs of the papers preset, one per host, each with its calibration run (docs/studies). */
export const PAPERS_STUDIES = ['docs/studies/epyc-zen3-2vcpu-avx2', 'docs/studies/xeon-2vcpu-avx512-amx'] as const;
