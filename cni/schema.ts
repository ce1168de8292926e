/**
 * `zod/mini` schemas for CNI inputs (results, network configuration lists, plugin
 * configurations, runtime config, names, container IDs) and the IP / CIDR parsing they
 * rely on, which follows Go's `net.ParseIP` / `net.ParseCIDR` (and `IPNet.String()` for the
 * canonical text, host bits kept) so that re-serialised addresses match the reference.
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
import { formatIPv6, isIPv4Mapped, parseIPv4Bytes, parseIPv6Bytes } from "../netlink/ip_text.ts";

// ---------------------------------------------------------------------------------------
// IP addresses and CIDRs (Go semantics)
// ---------------------------------------------------------------------------------------

const DECIMAL_REGEXP = /^[0-9]+/;

export { NAME_REGEXP };

/** A parsed IP address: always 16 bytes (IPv4 stored IPv4-mapped, like Go's `net.IP`). */
export interface IpAddr {
  /** The 16 address bytes. */
  bytes: Uint8Array;
  /** True when the text was a dotted IPv4 address (Go `netip.Addr.Is4`). */
  parsedAs4: boolean;
}

/**
 * Parses an IP address like Go's `net.ParseIP` (no zones, no leading zeros in IPv4 parts).
 *
 * @param s The text.
 * @returns The address, or `undefined` when invalid.
 * @example Parsing
 * ```ts
 * import { formatIp, parseIp } from "./schema.ts";
 * console.log(formatIp(parseIp("fd00:0:0::2")!)); // fd00::2
 * ```
 */
export function parseIp(s: string): IpAddr | undefined {
  if (s.includes(":")) {
    const b = parseIPv6Bytes(s);
    return b ? { bytes: b, parsedAs4: false } : undefined;
  }
  const v4 = parseIPv4Bytes(s);
  if (!v4) return undefined;
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(v4, 12);
  return { bytes, parsedAs4: true };
}

/**
 * True when the address has an IPv4 form (Go `ip.To4() != nil`): dotted IPv4 or
 * IPv4-mapped IPv6.
 *
 * @param ip The address.
 * @returns Whether it is IPv4.
 */
export function isIPv4(ip: IpAddr): boolean {
  return isIPv4Mapped(ip.bytes);
}

/**
 * Formats an address like Go's `net.IP.String()`: dotted quad for IPv4 (and IPv4-mapped),
 * RFC 5952 for IPv6.
 *
 * @param ip The address.
 * @returns The canonical text.
 */
export function formatIp(ip: IpAddr): string {
  const b = ip.bytes;
  if (isIPv4(ip)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return formatIPv6(b);
}

/** A parsed CIDR: the address with host bits kept, and its prefix length. */
export interface Cidr {
  /** The address as written (host bits kept). */
  ip: IpAddr;
  /** Prefix length as written (0-32 for dotted IPv4, 0-128 otherwise). */
  prefix: number;
}

/**
 * Parses `addr/prefix` like Go's `types.ParseCIDR` (host bits kept).
 *
 * @param s The text.
 * @returns The CIDR, or `undefined` when invalid (Go: `invalid CIDR address: <s>`).
 */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  if (!ip) return undefined;
  const mask = s.slice(slash + 1);
  const m = DECIMAL_REGEXP.exec(mask);
  if (!m || m[0].length !== mask.length || m[0].length > 8) return undefined;
  const prefix = Number(m[0]);
  if (prefix > (ip.parsedAs4 ? 32 : 128)) return undefined;
  return { ip, prefix };
}

/**
 * Formats a CIDR like Go's `(*net.IPNet).String()` (host bits kept; an IPv4-mapped address
 * with a 128-bit mask prints as IPv4 with the mask's last 32 bits).
 *
 * @param cidr The CIDR.
 * @returns The canonical text.
 */
export function formatCidr(cidr: Cidr): string {
  let prefix = cidr.prefix;
  if (!cidr.ip.parsedAs4 && isIPv4(cidr.ip)) prefix = Math.max(0, prefix - 96);
  return `${formatIp(cidr.ip)}/${prefix}`;
}

/**
 * Returns the canonical text of a CIDR string, or `undefined` when it does not parse.
 *
 * @param s The CIDR text.
 * @returns Canonical text like Go prints it after a parse.
 */
export function canonicalCidr(s: string): string | undefined {
  const c = parseCidr(s);
  return c ? formatCidr(c) : undefined;
}

/**
 * Returns the canonical text of an IP string, or `undefined` when it does not parse.
 *
 * @param s The IP text.
 * @returns Canonical text like Go prints it after a parse.
 */
export function canonicalIp(s: string): string | undefined {
  const ip = parseIp(s);
  return ip ? formatIp(ip) : undefined;
}

// ---------------------------------------------------------------------------------------
// Small reusable schemas (each built on first call)
// ---------------------------------------------------------------------------------------

/** A string that is a valid IP address (Go `net.ParseIP`). */
export const ipSchema = lazy(() =>
  z.string().check(
    z.refine((s) => parseIp(s) !== undefined, { error: "invalid IP address" }),
  )
);

/** A string that is a valid CIDR (Go `net.ParseCIDR`, host bits allowed). */
export const cidrSchema = lazy(() =>
  z.string().check(
    z.refine((s) => parseCidr(s) !== undefined, { error: "invalid CIDR address" }),
  )
);

/** A network name (`^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`). */
export const networkNameSchema = lazy(() =>
  z.string().check(
    z.minLength(1, { error: "missing network name" }),
    z.regex(NAME_REGEXP, { error: "invalid characters found in network name" }),
  )
);

/** A container ID (same charset as network names). */
export const containerIdSchema = lazy(() =>
  z.string().check(
    z.minLength(1, { error: "missing containerID" }),
    z.regex(NAME_REGEXP, { error: "invalid characters in containerID" }),
  )
);

/** A plugin type: a binary name, without path separators. */
export const pluginTypeSchema = lazy(() =>
  z.string().check(
    z.minLength(1, { error: "missing 'type'" }),
    z.refine((s) => !s.includes("/") && !s.includes("\\"), {
      error: "must not contain path separators",
    }),
  )
);

/**
 * An interface name as `pkg/utils.ValidateInterfaceName` accepts it: 1-15 bytes, not `.` or
 * `..`, no `/`, `:` or whitespace.
 */
export const ifNameSchema = lazy(() =>
  z.string().check(
    z.minLength(1, { error: "interface name is empty" }),
    z.refine((s) => new TextEncoder().encode(s).length <= 15, {
      error: "interface name is too long",
    }),
    z.refine((s) => s !== "." && s !== "..", { error: "interface name is . or .." }),
    z.refine((s) => !/[/:\s]/u.test(s), {
      error: "interface name contains / or : or whitespace characters",
    }),
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
export const ipConfig020Schema = lazy(() =>
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
export const interfaceSchema = lazy(() =>
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
export const ipConfigSchema = lazy(() =>
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
export const flagSchema = lazy(() =>
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

/** A runtime configuration (libcni `RuntimeConf`). */
export const runtimeConfSchema = lazy(() =>
  z.object({
    containerId: z.string(),
    netns: z.string(),
    ifName: z.string(),
    args: z.optional(z.array(z.tuple([z.string(), z.string()]))),
    capabilityArgs: z.optional(z.record(z.string(), z.unknown())),
    cacheDir: z.optional(z.string()),
  })
);
