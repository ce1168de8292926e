/**
 * Turning `zod/mini` validation failures into `CniError`s whose messages name the field.
 * `zod/mini` ships no message locale, so issues are worded here from their structured data;
 * a check that carries its own `error` text keeps it.
 *
 * @module
 */
import type * as z from "./_zod.ts";
import { CniError, ErrorCode } from "./errors.ts";

/** The structured parts of a zod issue that the wording uses. */
interface IssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  values?: unknown[];
  format?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  keys?: string[];
  input?: unknown;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Formats a path like `ipam.ranges[0][1].subnet`.
 *
 * @param path Issue path.
 * @returns The dotted path, or `(root)` when empty.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(root)";
}

/**
 * Words one zod issue as `field "x": expected ..., got ...`.
 *
 * @param issue A zod issue.
 * @param input The validated input, to name the type actually received.
 * @returns One line.
 */
export function formatIssue(issue: IssueLike, input?: unknown): string {
  const field = `field "${formatPath(issue.path)}"`;
  if (issue.message && issue.message !== "Invalid input") return `${field}: ${issue.message}`;
  let got: unknown = input;
  for (const part of issue.path) {
    got = got !== null && typeof got === "object"
      ? (got as Record<PropertyKey, unknown>)[part]
      : undefined;
  }
  switch (issue.code) {
    case "invalid_type":
      if (got === undefined) return `${field}: is required (expected ${issue.expected})`;
      return `${field}: expected ${issue.expected}, got ${describeValue(got)}`;
    case "invalid_value":
      return `${field}: expected one of ${
        (issue.values ?? []).map((v) => JSON.stringify(v)).join(", ")
      }, got ${JSON.stringify(got)}`;
    case "too_small":
      return `${field}: must be ${issue.inclusive === false ? ">" : ">="} ${issue.minimum}`;
    case "too_big":
      return `${field}: must be ${issue.inclusive === false ? "<" : "<="} ${issue.maximum}`;
    case "invalid_format":
      return `${field}: invalid ${issue.format ?? "format"}: ${JSON.stringify(got)}`;
    case "unrecognized_keys":
      return `${field}: unknown keys ${(issue.keys ?? []).join(", ")}`;
    default:
      return `${field}: invalid value ${JSON.stringify(got)}`;
  }
}

/**
 * Validates `input` against `schema`, throwing a `CniError` whose message names every bad
 * field.
 *
 * @param schema A zod/mini schema.
 * @param input The value to validate.
 * @param options `what` is prepended to the message (e.g. `"invalid bridge config"`), `code`
 *   is the CNI code to use (default 7, invalid network config).
 * @returns The parsed value.
 * @throws {CniError} Code 7 (or `options.code`) naming the bad fields.
 */
export function parseWith<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  options: { what?: string; code?: number } = {},
): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => formatIssue(issue as IssueLike, input));
  const what = options.what ?? "invalid network configuration";
  throw new CniError(
    options.code ?? ErrorCode.InvalidNetworkConfig,
    `${what}: ${lines.join("; ")}`,
  );
}

function dropAt(root: Record<string, unknown>, path: readonly PropertyKey[]): boolean {
  // Walk to the innermost object holding the bad value; a value inside an array drops the
  // whole array (its key in the nearest object), since a gap would shift the others.
  let holder: Record<string, unknown> | undefined;
  let key: PropertyKey | undefined;
  let node: unknown = root;
  for (const part of path) {
    if (node === null || typeof node !== "object") break;
    if (!Array.isArray(node)) {
      holder = node as Record<string, unknown>;
      key = part;
    }
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  if (holder === undefined || key === undefined || !Object.hasOwn(holder, key)) return false;
  delete holder[key as string];
  return true;
}

/**
 * Validates like {@linkcode parseWith}, but drops what does not validate instead of failing:
 * each bad value is removed (a bad array element removes its array) and the rest validated
 * again, so what is left reads as if the bad fields were never given. For best-effort work
 * such as DEL, which uses whatever it can. Still throws when removing fields cannot help
 * (a required field is missing or bad).
 *
 * @param schema A zod/mini schema of an object.
 * @param input The value to validate.
 * @param options As {@linkcode parseWith}, for the error when nothing helps.
 * @returns The parsed value and the paths of the fields dropped.
 * @throws {CniError} Code 7 (or `options.code`) when the input cannot be made valid.
 *
 * @example Dropping a bad field
 * ```ts
 * import assert from "node:assert/strict";
 * import * as z from "./_zod.ts";
 * import { parseLenient } from "./validate.ts";
 * const s = z.object({ name: z.string(), mtu: z.optional(z.int()) });
 * const { data, dropped } = parseLenient(s, { name: "n", mtu: "big" });
 * assert.deepEqual(data, { name: "n" });
 * assert.deepEqual(dropped, ["mtu"]);
 * ```
 */
export function parseLenient<S extends z.ZodMiniType>(
  schema: S,
  input: unknown,
  options: { what?: string; code?: number } = {},
): { data: z.infer<S>; dropped: string[] } {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return { data: parseWith(schema, input, options), dropped: [] };
  }
  const copy = structuredClone(input) as Record<string, unknown>;
  const dropped: string[] = [];
  for (;;) {
    const result = schema.safeParse(copy);
    if (result.success) return { data: result.data, dropped };
    let progress = false;
    for (const issue of result.error.issues) {
      if (dropAt(copy, issue.path)) {
        dropped.push(formatPath(issue.path));
        progress = true;
      }
    }
    if (!progress) return { data: parseWith(schema, input, options), dropped };
  }
}

/**
 * Validates a plugin's network configuration: strictly ({@linkcode parseWith}), or, for DEL,
 * leniently ({@linkcode parseLenient}: bad fields read as absent). `prevResult` is left out
 * of the check (the config is copied by property descriptors, so skel's lazy conversion of it
 * does not run): ADD never needs it, and DEL and CHECK read it themselves.
 *
 * @example A bad field, strict and lenient
 * ```ts
 * import assert from "node:assert/strict";
 * import * as z from "./_zod.ts";
 * import { parseNetconf } from "./validate.ts";
 * const s = z.object({ name: z.string(), mtu: z.optional(z.int()) });
 * const conf = { name: "n", mtu: "big", prevResult: { bad: true } };
 * assert.deepEqual(parseNetconf(s, conf, { lenient: true }), { name: "n" });
 * assert.throws(() => parseNetconf(s, conf, { what: "failed to load netconf" }), /field "mtu"/);
 * ```
 *
 * @param schema The plugin's schema.
 * @param config The netconf as given.
 * @param options `what` and `code` as for {@linkcode parseWith}; `lenient` for DEL.
 * @returns The parsed config.
 * @throws {CniError} Code 7 (or `options.code`) naming each bad field.
 */
export function parseNetconf<S extends z.ZodMiniType>(
  schema: S,
  config: unknown,
  options: { what?: string; code?: number; lenient?: boolean | undefined } = {},
): z.infer<S> {
  const { lenient, ...rest } = options;
  const input = withoutPrevResult(config);
  return lenient ? parseLenient(schema, input, rest).data : parseWith(schema, input, rest);
}

function withoutPrevResult(config: unknown): unknown {
  if (config === null || typeof config !== "object" || Array.isArray(config)) return config;
  const descriptors = Object.getOwnPropertyDescriptors(config);
  delete descriptors.prevResult;
  return Object.defineProperties({}, descriptors);
}
