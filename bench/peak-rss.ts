/**
 * Peak resident memory of this process, in MB. Linux keeps getrusage's
 * `ru_maxrss` across execve, so a child spawned by a large benchmark runner
 * would report the runner's peak as its own; `VmHWM` in /proc/self/status
 * belongs to the process's own address space and starts afresh at exec.
 * Elsewhere, falls back to `ru_maxrss`.
 */
import { readFileSync } from 'node:fs';

export function peakRssMb(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
