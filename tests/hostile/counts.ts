/**
 * How much the hostile-input tier runs: reduced counts in the normal suite (`deno task test`,
 * which CI runs), the full counts under `DENOCNI_SOAK=full` (`deno task soak`).
 *
 * @module
 */

/** Whether the full counts were asked for (`DENOCNI_SOAK=full`). */
export const FULL: boolean = Deno.env.get("DENOCNI_SOAK") === "full";

/** The counts of one tier. */
export interface Counts {
  /** Run every k-th corpus case through the exec'd plugin and the Go plugin (1: all). */
  execEvery: number;
  /** Parallel sandboxes per corpus mode. */
  sandboxes: number;
  /** Kill points of an exec'd bridge ADD (each followed by a DEL). */
  addKills: number;
  /** Kill points of an exec'd bridge DEL (each followed by a retried DEL). */
  delKills: number;
  /** ADD/DEL cycles through the exec'd bridge (8 at a time). */
  execCycles: number;
  /** ADD/DEL cycles through the in-process bridge (16 at a time). */
  inProcessCycles: number;
}

/** The counts in force. */
export const COUNTS: Counts = FULL
  ? {
    execEvery: 1,
    sandboxes: 2,
    addKills: 24,
    delKills: 12,
    execCycles: 400,
    inProcessCycles: 800,
  }
  : {
    execEvery: 4,
    sandboxes: 2,
    addKills: 6,
    delKills: 3,
    execCycles: 48,
    inProcessCycles: 96,
  };

/** Exec'd plugins at once in the soak. */
export const EXEC_PARALLEL = 8;

/** In-process plugin calls at once in the soak. */
export const IN_PROCESS_PARALLEL = 16;
