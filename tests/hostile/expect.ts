/**
 * The expectations and hostile strings every part of the corpus uses (corpus.ts,
 * corpus_meta.ts, corpus_iface.ts): one definition each.
 *
 * @module
 */
import type { Expect } from "./corpus.ts";

/** Succeeds. */
export const OK: Expect = { ok: true };
/** Succeeds or fails, cleanly either way. */
export const CLEAN: Expect = { clean: true };
/** Fails, with any code. */
export const FAILS: Expect = { fails: true };
/** Fails with code 1 (incompatible version). */
export const c1: Expect = { codes: [1] };
/** Fails with code 4 (bad environment variable). */
export const c4: Expect = { codes: [4] };
/** Fails with code 6 (decoding failure). */
export const c6: Expect = { codes: [6] };
/** Fails with code 7 (invalid network config). */
export const c7: Expect = { codes: [7] };
/** Fails with code 8 (the plugin's own namespace). */
export const c8: Expect = { codes: [8] };
/** Fails with 999, the code the reference gives some plugins' config errors (with Go's texts). */
export const c999: Expect = { codes: [999] };

/** A 300-character name or value. */
export const LONG: string = "x".repeat(300);
/** A value with control bytes in it. */
export const CTRL = "a\u0001b\u001bc";
