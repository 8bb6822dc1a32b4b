/**
 * What the benches that run weunion as child processes share: waiting for a URL to answer, and
 * reading a process tree's CPU time and resident memory from /proc (Linux).
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Resolves once `url` answers below 500; throws if `child` exits first or after two minutes. */
export async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** A process and its descendants (a worker group's primary has the workers as children). */
export function processTree(pid: number): number[] {
  const children: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const listed = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (listed !== '') children.push(...listed.split(' ').map(Number));
  }
  return [pid, ...children.flatMap(processTree)];
}

/** utime + stime of a process and its descendants, in ms. */
export function cpuMs(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return sum + (Number(fields[11]) + Number(fields[12])) * 10;
  }, 0);
}

/** Resident memory of a process and its descendants, in MB. */
export function rssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    const line = readFileSync(`/proc/${p}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return sum + Number(line?.[1] ?? 0) / 1024;
  }, 0);
}
