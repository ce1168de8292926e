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
