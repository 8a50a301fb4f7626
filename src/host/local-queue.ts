/** The task queue this host serves by default: cpu-x86_64, cpu-aarch64, ... (no heavy imports: the CLI needs it at start-up). */
export function localCpuQueue(): string {
  const arch = ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[process.arch] ?? process.arch;
  return `cpu-${arch}`;
}
