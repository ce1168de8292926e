/**
 * Judging a corpus run: what a plugin printed and left must be a clean spec outcome (a result,
 * or one error object with an integer code, a message and `cniVersion`; exit 1; no stack
 * trace; nothing left behind), and what the case expects.
 *
 * @module
 */
import type { Case } from "./corpus.ts";
import type { CallOut, RunRecord } from "./runner.ts";

/** A case's outcome in one word: `ok`, the error code, or how it went wrong. */
export type Outcome = string;

const STACK_REGEXP = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
const ERROR_KEYS = new Set(["cniVersion", "code", "msg", "details"]);

/**
 * The outcome of a call: `ok`, the error's code, `timeout`/`memory`/`crash`, or `garbled`.
 *
 * @param r The call.
 * @returns The outcome.
 */
export function outcomeOf(r: CallOut): Outcome {
  if (r.killed) return r.killed;
  if (r.exit === 0) return "ok";
  try {
    const code = (JSON.parse(r.stdout) as { code?: unknown }).code;
    return typeof code === "number" ? String(code) : "garbled";
  } catch {
    return "garbled";
  }
}

/**
 * Problems with the form of one call's output (not with what the case expects).
 *
 * @param r The call.
 * @param command The `CNI_COMMAND` of the call.
 * @param options `go`: skip the checks the Go plugins are not held to (`cniVersion` in errors).
 * @returns The problems, empty when clean.
 */
export function formProblems(
  r: CallOut,
  command: string,
  options: { go?: boolean } = {},
): string[] {
  const out: string[] = [];
  if (r.killed === "timeout") return ["hung (killed after the time limit)"];
  if (r.killed === "memory") return ["grew past the memory cap (unbounded read?)"];
  if (r.killed === "crash") return [`crashed: ${r.stderr.slice(0, 300)}`];
  if (STACK_REGEXP.test(r.stdout) || STACK_REGEXP.test(r.stderr)) {
    out.push(`stack trace printed: ${(r.stdout + r.stderr).slice(0, 300)}`);
  }
  if (/\bUncaught\b/.test(r.stderr)) out.push(`uncaught error: ${r.stderr.slice(0, 300)}`);
  if (r.exit === 0) {
    if (command === "ADD" || command === "VERSION") {
      try {
        const j = JSON.parse(r.stdout);
        if (j === null || typeof j !== "object") out.push("result is not a JSON object");
      } catch {
        out.push(`result is not JSON: ${r.stdout.slice(0, 200)}`);
      }
    } else if (r.stdout.trim() !== "") out.push(`unexpected stdout: ${r.stdout.slice(0, 200)}`);
    return out;
  }
  if (r.exit !== 1) out.push(`exit code ${r.exit}, not 1`);
  let err: Record<string, unknown>;
  try {
    err = JSON.parse(r.stdout);
  } catch {
    return [...out, `error output is not one JSON object: ${r.stdout.slice(0, 200)}`];
  }
  if (err === null || typeof err !== "object" || Array.isArray(err)) {
    return [...out, "error output is not a JSON object"];
  }
  if (!Number.isInteger(err.code) || (err.code as number) <= 0) {
    out.push(`error code is not a positive integer: ${JSON.stringify(err.code)}`);
  }
  if (typeof err.msg !== "string" || err.msg === "") out.push("error has no msg");
  if (err.details !== undefined && typeof err.details !== "string") {
    out.push("error details is not a string");
  }
  const extra = Object.keys(err).filter((k) => !ERROR_KEYS.has(k));
  if (extra.length > 0) out.push(`error has unknown keys ${extra.join(",")}`);
  if (!options.go && typeof err.cniVersion !== "string") {
    out.push("error JSON has no cniVersion (defect g)");
  }
  return out;
}

/**
 * Whether the outcome is the one the case expects (the form is judged separately).
 *
 * @param c The case.
 * @param r The record.
 * @returns The problems, empty when the outcome is as expected.
 */
export function expectationProblems(c: Case, r: CallOut): string[] {
  const out: string[] = [];
  const outcome = outcomeOf(r);
  const e = c.expect;
  if ("ok" in e && outcome !== "ok") out.push(`expected success, got ${outcome}`);
  if ("codes" in e && !e.codes.map(String).includes(outcome)) {
    out.push(`expected code ${e.codes.join(" or ")}, got ${outcome}: ${r.stdout.slice(0, 300)}`);
  }
  if ("fails" in e && (outcome === "ok" || r.killed)) {
    out.push(`expected a failure, got ${outcome}`);
  }
  return out;
}

/**
 * Every problem with a record of our plugin: its form, its expectation, its DEL, what it left.
 *
 * @param c The case.
 * @param r The record.
 * @returns The problems, empty when the case passed.
 */
export function judge(c: Case, r: RunRecord & { log?: string }): string[] {
  const out = formProblems(r, c.command);
  if (r.log && STACK_REGEXP.test(r.log)) out.push(`stack trace logged: ${r.log.slice(0, 300)}`);
  out.push(...expectationProblems(c, r));
  if (r.chainBase && r.chainBase.exit !== 0) {
    out.push(
      `the bridge ADD before the chained plugin failed: ${r.chainBase.stdout.slice(0, 300)}`,
    );
  }
  if (r.prior && r.prior.exit !== 0) {
    out.push(`the setup ADD failed: ${r.prior.stdout.slice(0, 300)}`);
  }
  if (r.del) {
    if (r.del.exit !== 0 || r.del.killed) {
      out.push(
        `DEL after the successful ADD failed: ${outcomeOf(r.del)} ${r.del.stdout.slice(0, 200)}`,
      );
    }
  }
  for (const l of r.leftovers) out.push(l);
  return out;
}
