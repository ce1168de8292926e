/**
 * The expectations, hostile strings and attack lists more than one part of the corpus uses
 * (corpus.ts, corpus_meta.ts, corpus_iface.ts): one definition each.
 *
 * @module
 */
import type { Expect, Mutation } from "./corpus.ts";

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

/** `cniVersion` values no plugin speaks (code 1) or that are not a string (clean either way). */
export const VERSION_UNSPOKEN: readonly Mutation[] = [
  ["unknown", "9.9.9", c1],
  ["newer-minor", "1.2.0", c1],
  ["v-prefix", "v1.0.0", c1],
  ["number", 1, CLEAN],
];

/** Network names a plugin must refuse (code 7), and a long one it may take or refuse cleanly. */
export const NAME_HOSTILE: readonly Mutation[] = [
  ["null", null, c7],
  ["empty", "", c7],
  ["dotdot", "../hcx", c7],
  ["slash", "a/b", c7],
  ["control", CTRL, c7],
  ["300-chars", LONG, CLEAN],
];

/** A `prevResult` a DEL cannot read: DEL is best effort, so each succeeds. */
export const PREV_UNREADABLE_DEL: readonly Mutation[] = [
  ["string", "garbage", OK],
  ["array", [], OK],
  ["bad-address", { cniVersion: "1.0.0", ips: [{ address: "garbage" }] }, OK],
];

/** A firewall backend choice (`iptables` or `nftables`, absent when `null`), and bad ones. */
export const BACKEND_CHOICE: readonly Mutation[] = [
  ["unknown", "ebpf", c7],
  ["number", 1, c7],
  ["upper", "IPTABLES", c7],
  ["empty", "", c7],
  ["iptables", "iptables", OK],
  ["nftables", "nftables", OK],
  ["null", null, OK],
];

/** An `mtu` that is no MTU at all: not an integer, negative, or beyond any integer type. */
export const MTU_NOT_A_NUMBER: readonly Mutation[] = [
  ["string", "1400", c7],
  ["float", 1400.5, c7],
  ["bool", true, c7],
  ["negative", -1, c7],
  ["int32-min", -2147483648, c7],
  ["huge", 1e300, c7],
  ["beyond-2^53", 9007199254740993, c7],
];
