/**
 * Reading lines of Jetson's `tegrastats` (NVIDIA L4T docs), e.g. on an Orin:
 * `RAM 2989/30593MB (lfb 6597x4MB) SWAP 0/15296MB (cached 0MB) CPU [0%@729,0%@729,off,off]
 * EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305,305] VIC_FREQ 729 APE 174 CPU@45.937C tj@46.5C
 * VDD_GPU_SOC 3981mW/3981mW VIN_SYS_5V0 3328mW/3328mW`. Older boards print `GR3D_FREQ 0%@76`, or
 * only the load (`EMC_FREQ 0%`) without a frequency; rails without `mW`.
 */

/** Rails in one line, instantaneous mW: `POM_5V_IN 2563/2563` (TX1/TX2/Nano, current/avg) or `VDD_GPU_SOC 3583mW/3583mW` (Orin). Sizes such as `RAM 1505/3964MB` are not rails. */
export function parseTegrastatsRails(line: string): Map<string, number> {
  const rails = new Map<string, number>();
  for (const m of line.matchAll(/\b([A-Z][A-Z0-9_]*) (\d+)(?:mW)?\/(\d+)(?:mW)?(?=\s|$)/g)) rails.set(m[1]!, Number(m[2]));
  return rails;
}

export interface TegrastatsClocks {
  /** MHz of each online CPU core (offline cores, printed `off`, are left out). */
  cpuMhz: number[];
  /** External memory controller MHz; null where tegrastats prints only its load. */
  emcMhz: number | null;
  /** GPU (GR3D) MHz, one per GPC on Orin; empty where only the load is printed. */
  gpuMhz: number[];
  /** Sensor → °C. Sensors that are off print -256 and are left out. */
  temperaturesC: Record<string, number>;
}

export function parseTegrastatsClocks(line: string): TegrastatsClocks {
  const cpuList = /\bCPU \[([^\]]*)\]/.exec(line)?.[1] ?? '';
  const cpuMhz = cpuList.split(',').flatMap((c) => {
    const m = /@(\d+)$/.exec(c.trim());
    return m ? [Number(m[1])] : [];
  });
  const emc = /\bEMC_FREQ \d+%@(\d+)\b/.exec(line);
  const gpu = /\bGR3D_FREQ \d+%@(?:\[([\d,]+)\]|(\d+))/.exec(line);
  const gpuMhz = gpu ? (gpu[1] ?? gpu[2]!).split(',').map(Number) : [];
  const temperaturesC: Record<string, number> = {};
  for (const m of line.matchAll(/\b([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C\b/g)) {
    const c = Number(m[2]);
    if (c > -256) temperaturesC[m[1]!] = c;
  }
  return { cpuMhz, emcMhz: emc ? Number(emc[1]) : null, gpuMhz, temperaturesC };
}
