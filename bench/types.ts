/** One line of the `npm run bench` table. */
export interface BenchRow {
  /** What was measured, e.g. "G-code check, big-part.gcode (23 MB)". */
  what: string;
  /** Our figure, in `unit`. */
  ours: number;
  /** The named peer's figure from the same run, if there is a peer. */
  peer?: number;
  /** The peer's name, e.g. "gcode-parser 2.2.0". */
  peerName?: string;
  unit: string;
  /** true when a larger figure is better (throughput), false for latency and memory. */
  higherIsBetter: boolean;
  /** The target from the issue, in words, e.g. ">= 150 MB/s". */
  target?: string;
  note?: string;
}

/** Every `bench/*.bench.ts` default-exports one of these. */
export type Benchmark = () => Promise<BenchRow[]>;
