/**
 * Pieces the libcni operations share: how a plugin is named in messages, error wrapping and
 * joining (codes kept), and a plugin's request bytes.
 *
 * @module
 */
import { CniError, toCniError } from "./errors.ts";
import { buildPluginConfig } from "./conf_inject.ts";
import type { ListPlugin, NetworkList, Runtime } from "./libcni.ts";

/** A plugin as messages name it: `type="x" name="y"`. */
export function describe(plugin: ListPlugin): string {
  const name = plugin.network.name;
  return `type=${JSON.stringify(plugin.network.type)}${
    typeof name === "string" && name !== "" ? ` name=${JSON.stringify(name)}` : ""
  }`;
}

/** Wraps an error with a prefix, keeping its code and details. */
export function wrap(prefix: string, err: unknown): CniError {
  const e = toCniError(err);
  return new CniError(e.code, `${prefix}: ${e.msg}`, {
    details: e.details,
    cause: e,
    ...(e.cniVersion && { cniVersion: e.cniVersion }),
  });
}

/** Several errors as one: the first one's code, messages joined with "; ". */
export function joinErrors(errors: readonly CniError[]): CniError {
  if (errors.length === 1) return errors[0]!;
  return new CniError(errors[0]!.code, errors.map((e) => e.message).join("; "), {
    cause: new AggregateError(errors),
    ...(errors[0]!.cniVersion && { cniVersion: errors[0]!.cniVersion }),
  });
}

/** Builds a plugin's stdin (libcni `buildOneConfig`) through `conf_inject.ts`. */
export function buildRequest(
  list: NetworkList,
  plugin: ListPlugin,
  options: {
    prevResult?: Record<string, unknown> | undefined;
    runtime?: Runtime;
    extra?: Record<string, unknown>;
  } = {},
): Uint8Array {
  return buildPluginConfig(list, plugin, options.runtime, options.prevResult, options.extra);
}
