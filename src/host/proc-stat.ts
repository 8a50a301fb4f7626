import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Linux's CPU accounting (proc(5)): /proc/stat for the whole system, /proc/<pid>/stat per process,
 * both in clock ticks (USER_HZ), so they subtract from one another without knowing the tick rate.
 */

/** The aggregate `cpu` line of /proc/stat, in ticks, and the number of CPUs listed (`cpuN` lines). */
export interface SystemCpuTimes {
  cpus: number;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  /** Time a vCPU was ready to run but the hypervisor ran something else. */
  steal: number;
}

export function parseProcStat(text: string): SystemCpuTimes {
  const line = /^cpu\s+(.+)$/m.exec(text)?.[1];
  if (!line) throw new Error('/proc/stat has no aggregate "cpu" line');
  const v = line.trim().split(/\s+/).map(Number);
  // Fields (proc(5)): user nice system idle iowait irq softirq steal guest guest_nice; guest time is
  // already inside user/nice, so it is not added again. Kernels before 2.6.11 lack steal.
  if (v.length < 7 || v.some((n) => !Number.isFinite(n))) throw new Error(`/proc/stat: unreadable cpu line "${line}"`);
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = v as [number, number, number, number, number, number, number, number?];
  const cpus = (text.match(/^cpu\d+\s/gm) ?? []).length;
  return { cpus, user, nice, system, idle, iowait, irq, softirq, steal };
}

/** Ticks the CPUs spent running something (processes, kernel, interrupts). */
export function busyTicks(t: SystemCpuTimes): number {
  return t.user + t.nice + t.system + t.irq + t.softirq;
}

/** All ticks of the interval, across every CPU: busy, idle, waiting for I/O and stolen. */
export function totalTicks(t: SystemCpuTimes): number {
  return busyTicks(t) + t.idle + t.iowait + t.steal;
}

export interface ProcessTimes {
  pid: number;
  comm: string;
  ppid: number;
  /** This process's own CPU (all its threads), user and kernel. */
  utime: number;
  stime: number;
  /** CPU of its children that have exited and been waited for. */
  cutime: number;
  cstime: number;
  /** Ticks after boot it started at: with the pid, names a process even after pid reuse. */
  starttime: number;
}

/** One /proc/<pid>/stat line. The command name is in parentheses and may hold spaces and parentheses. */
export function parseProcPidStat(text: string): ProcessTimes {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: "${text.slice(0, 80)}"`);
  // Fields after the name, numbered as in proc(5): 3 state, 4 ppid, 14 utime, 15 stime, 16 cutime, 17 cstime, 22 starttime.
  const f = text.slice(close + 1).trim().split(/\s+/);
  const field = (n: number) => {
    const v = Number(f[n - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/<pid>/stat: field ${n} is "${f[n - 3]}" in "${text.slice(0, 80)}"`);
    return v;
  };
  return {
    pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), ppid: field(4),
    utime: field(14), stime: field(15), cutime: field(16), cstime: field(17), starttime: field(22),
  };
}

/** Every process's times; processes that exit while being read are left out. */
export async function readAllProcessTimes(procRoot = '/proc'): Promise<ProcessTimes[]> {
  const pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n));
  const read = await Promise.all(pids.map((pid) => readFile(path.join(procRoot, pid, 'stat'), 'utf8').then(parseProcPidStat, () => null)));
  return read.filter((p): p is ProcessTimes => p !== null);
}

export interface ProcessTreeTimes {
  root: { pid: number; starttime: number };
  /** The tree's processes. */
  pids: number[];
  /**
   * CPU ticks of the root and its descendants, including their waited-for children (cutime,
   * cstime): a descendant that exits and is reaped within an interval moves its ticks into its
   * parent's cutime, so differences of this sum stay right across exits.
   */
  ticks: number;
}

/** The CPU of `rootPid` and everything below it, from one snapshot of the process table. */
export function processTreeTimes(all: ProcessTimes[], rootPid: number): ProcessTreeTimes | null {
  const root = all.find((p) => p.pid === rootPid);
  if (!root) return null;
  const children = new Map<number, ProcessTimes[]>();
  for (const p of all) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p);
    else children.set(p.ppid, [p]);
  }
  const tree: ProcessTimes[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.pop()!;
    tree.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return {
    root: { pid: root.pid, starttime: root.starttime },
    pids: tree.map((p) => p.pid),
    ticks: tree.reduce((a, p) => a + p.utime + p.stime + p.cutime + p.cstime, 0),
  };
}

/** The 1-minute load average of /proc/loadavg (runnable plus uninterruptible tasks, decayed). */
export function parseLoadAverage(text: string): number {
  const one = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(one)) throw new Error(`/proc/loadavg: unreadable "${text.trim()}"`);
  return one;
}
