/**
 * `zod/mini` schemas for CNI inputs: results (0.1.0 - 1.1.0), VERSION answers, network
 * configuration lists and plugin configurations. Only what the spec engine reads is exported.
 *
 * Each schema is a function that builds it on first call and returns the same one after
 * (`lazy`), so importing this module builds none: a plugin answering VERSION never pays for
 * zod. Validate through `parseWith()` from `validate.ts` so that failures become `CniError`s
 * naming the bad field.
 *
 * @module
 */
import * as z from "./_zod.ts";
import { lazy } from "./_lazy.ts";
import { NAME_REGEXP } from "./types.ts";

/** A network name (`^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`). */
const networkNameSchema = lazy(() =>
  z.string().check(
    z.minLength(1, { error: "missing network name" }),
    z.regex(NAME_REGEXP, { error: "invalid characters found in network name" }),
  )
);

// Shared by every schema below (a zod schema is immutable, so one instance serves every
// field): fewer constructions when a result schema is first built.
const optInt = lazy(() => z.optional(z.nullable(z.int())));
const optString = lazy(() => z.optional(z.nullable(z.string())));
const optStrings = lazy(() => z.optional(z.nullable(z.array(z.string()))));

/** `dns` in results and configs (all optional). */
export const dnsSchema = lazy(() =>
  z.object({
    nameservers: optStrings(),
    domain: optString(),
    search: optStrings(),
    options: optStrings(),
  })
);

/**
 * `dns` in a plugin's network configuration: every key optional or `null` (Go's zero value),
 * other keys kept.
 */
export const confDnsSchema = lazy(() =>
  z.optional(z.nullable(z.looseObject({
    nameservers: optStrings(),
    domain: optString(),
    search: optStrings(),
    options: optStrings(),
  })))
);

/** `ipam` in a plugin's network configuration: only `type` is read (optional or `null`). */
export const confIpamSchema = lazy(() =>
  z.optional(z.nullable(z.looseObject({ type: optString() })))
);

/** A result route (`types.Route`): `dst` required, the 1.1.0 extras optional. */
export const routeSchema = lazy(() =>
  z.object({
    dst: z.string(),
    gw: optString(),
    mtu: optInt(),
    advmss: optInt(),
    priority: optInt(),
    table: optInt(),
    scope: optInt(),
  })
);

/** 0.1.0 / 0.2.0 `ip4` / `ip6` objects. */
const ipConfig020Schema = lazy(() =>
  z.object({
    ip: z.string(),
    gateway: optString(),
    routes: z.optional(z.nullable(z.array(routeSchema()))),
  })
);

/** A 0.1.0 / 0.2.0 result. */
export const result020Schema = lazy(() =>
  z.object({
    cniVersion: optString(),
    ip4: z.optional(z.nullable(ipConfig020Schema())),
    ip6: z.optional(z.nullable(ipConfig020Schema())),
    dns: z.optional(z.nullable(dnsSchema())),
  })
);

/** A result interface (1.x superset; 0.3.x/0.4.0 readers ignore the extras). */
const interfaceSchema = lazy(() =>
  z.object({
    name: optString(),
    mac: optString(),
    mtu: optInt(),
    sandbox: optString(),
    socketPath: optString(),
    pciID: optString(),
  })
);

/** A result address (`ips[]`), with the 0.3.x/0.4.0 `version` field optional. */
const ipConfigSchema = lazy(() =>
  z.object({
    version: optString(),
    interface: optInt(),
    address: z.string(),
    gateway: optString(),
  })
);

/** A 0.3.0 - 1.1.0 result. */
export const resultSchema = lazy(() =>
  z.object({
    cniVersion: optString(),
    interfaces: z.optional(z.nullable(z.array(interfaceSchema()))),
    ips: z.optional(z.nullable(z.array(ipConfigSchema()))),
    routes: z.optional(z.nullable(z.array(routeSchema()))),
    dns: z.optional(z.nullable(dnsSchema())),
  })
);

/** A VERSION answer (`pkg/version.PluginDecoder`). */
export const versionInfoSchema = lazy(() =>
  z.object({
    cniVersion: optString(),
    supportedVersions: optStrings(),
  })
);

// ---------------------------------------------------------------------------------------
// Network configuration
// ---------------------------------------------------------------------------------------

/**
 * A libcni-style boolean flag: a JSON boolean or the string `"true"` / `"false"` in any
 * letter case (`disableCheck`, `disableGC`, `loadOnlyInlinedPlugins`).
 */
const flagSchema = lazy(() =>
  z.union([
    z.boolean(),
    z.string().check(
      z.refine((s) => s.toLowerCase() === "true" || s.toLowerCase() === "false", {
        error: 'expected a boolean or "true"/"false"',
      }),
    ),
  ])
);

/** Reads a {@linkcode flagSchema} value as a boolean (absent is false). */
export function flagValue(v: boolean | string | undefined): boolean {
  return typeof v === "string" ? v.toLowerCase() === "true" : v === true;
}

/** The top level of a configuration list (`.conflist`); plugins are checked one by one. */
export const confListSchema = lazy(() =>
  z.looseObject({
    name: networkNameSchema(),
    cniVersion: z.optional(z.string()),
    cniVersions: z.optional(z.array(z.string())),
    disableCheck: z.optional(flagSchema()),
    disableGC: z.optional(flagSchema()),
    loadOnlyInlinedPlugins: z.optional(flagSchema()),
    plugins: z.optional(z.array(z.unknown())),
  })
);

/**
 * A plugin configuration object: `type` required, the protocol keys typed, every other key
 * kept untouched (`looseObject`).
 */
export const pluginConfSchema = lazy(() =>
  z.looseObject({
    type: z.string().check(z.minLength(1, { error: "missing 'type'" })),
    name: z.optional(z.string()),
    cniVersion: z.optional(z.string()),
    capabilities: z.optional(z.record(z.string(), z.boolean())),
    ipam: z.optional(z.looseObject({ type: z.optional(z.string()) })),
    dns: z.optional(dnsSchema()),
    args: z.optional(z.record(z.string(), z.unknown())),
    runtimeConfig: z.optional(z.record(z.string(), z.unknown())),
  })
);
