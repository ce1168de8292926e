/**
 * The clocks a probe reads around one call: `CLOCK_MONOTONIC` (the clock
 * `perf record -k CLOCK_MONOTONIC` stamps its samples with), the CPU time of the calling
 * thread and of the whole process (`CLOCK_THREAD_CPUTIME_ID`, `CLOCK_PROCESS_CPUTIME_ID`:
 * the scheduler's exact run time, in ns) and of the reaped child processes (`getrusage`
 * `RUSAGE_CHILDREN`, µs). The user/system split `getrusage` gives for a thread is not used:
 * on a kernel with tick-based CPU accounting (`CONFIG_TICK_CPU_ACCOUNTING`, 250 Hz here) it is
 * the run time divided in the proportion of the ticks seen so far, meaningless for a window
 * under a millisecond; `perf` sampling splits it instead (`plugin_cost.ts`).
 *
 * Through its own `Deno.dlopen` of libc (two symbols): the product's symbol table has no use
 * for these.
 *
 * @module
 */

const CLOCK_MONOTONIC = 1;
const CLOCK_PROCESS_CPUTIME_ID = 2;
const CLOCK_THREAD_CPUTIME_ID = 3;
const RUSAGE_CHILDREN = -1;

const SYMBOLS = {
  /** int clock_gettime(clockid_t clockid, struct timespec *tp) */
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  /** int getrusage(int who, struct rusage *usage) */
  getrusage: { parameters: ["i32", "buffer"], result: "i32" },
} as const;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
const timespec = new BigInt64Array(2);
/** struct rusage: two timevals, then fourteen longs. */
const rusage = new BigInt64Array(18);

function clock(id: number): number {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  if (lib.symbols.clock_gettime(id, timespec) !== 0) throw new Error(`clock_gettime(${id})`);
  return Number(timespec[0]!) * 1e9 + Number(timespec[1]!);
}

/** One reading of the clocks, all in ns. */
export interface Clocks {
  /** `CLOCK_MONOTONIC`. */
  mono: number;
  /** CPU time of the calling thread. */
  thread: number;
  /** CPU time of the process, all threads. */
  process: number;
  /** User plus system time of the children reaped so far. */
  children: number;
}

/**
 * Reads the clocks.
 *
 * @returns The reading.
 * @throws {Error} When a clock cannot be read.
 */
export function readClocks(): Clocks {
  const mono = clock(CLOCK_MONOTONIC);
  const thread = clock(CLOCK_THREAD_CPUTIME_ID);
  const process = clock(CLOCK_PROCESS_CPUTIME_ID);
  if (lib!.symbols.getrusage(RUSAGE_CHILDREN, rusage) !== 0) throw new Error("getrusage");
  const us = (i: number) => Number(rusage[i]!) * 1e6 + Number(rusage[i + 1]!);
  const children = (us(0) + us(2)) * 1e3;
  return { mono, thread, process, children };
}

/**
 * The difference of two readings.
 *
 * @param a The earlier reading.
 * @param b The later one.
 * @returns `b - a`, field by field.
 */
export function clocksSince(a: Clocks, b: Clocks): Clocks {
  return {
    mono: b.mono - a.mono,
    thread: b.thread - a.thread,
    process: b.process - a.process,
    children: b.children - a.children,
  };
}
