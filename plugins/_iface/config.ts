/**
 * The configuration keys the interface plugins (macvlan, ipvlan, vlan, dummy) share —
 * `master`, `mtu`, `linkInContainer`, `ipam.type`, `dns` — as zod/mini schema pieces built
 * inside each plugin's lazily built schema, and the reading of `dns` the reference puts in
 * the result.
 *
 * Errors keep the reference's code (999) and name the field; Go's decoder accepts `null` for
 * any key (the zero value), and so do these schemas.
 *
 * @module
 */
import { confDnsSchema, confIpamSchema } from "../../cni/schema.ts";
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import type { DNS } from "../../cni/types.ts";
import { ErrorCode } from "../../cni/errors.ts";
import { parseLenient, parseWith } from "../../cni/validate.ts";

/**
 * The shared keys, as a zod/mini object shape of `master`, `mtu`, `linkInContainer`, `ipam`
 * and `dns`: built on the first call (from a plugin's own lazily built schema), then reused.
 */
export const ifaceShape = lazy(() => {
  const optString = z.optional(z.nullable(z.string()));
  return {
    master: optString,
    mtu: z.optional(z.nullable(
      z.int().check(
        z.refine((n) => n >= -0x80000000 && n <= 0x7fffffff, "must be a 32-bit integer"),
      ),
    )),
    linkInContainer: z.optional(z.nullable(z.boolean())),
    ipam: confIpamSchema(),
    dns: confDnsSchema(),
  };
});

/** What {@linkcode ifaceShape} reads, once parsed. */
export interface IfaceRaw {
  /** `master`. */
  master?: string | null | undefined;
  /** `mtu`. */
  mtu?: number | null | undefined;
  /** `linkInContainer`. */
  linkInContainer?: boolean | null | undefined;
  /** `ipam`. */
  ipam?: { type?: string | null | undefined } | null | undefined;
  /** `dns`. */
  dns?:
    | {
      nameservers?: string[] | null | undefined;
      domain?: string | null | undefined;
      search?: string[] | null | undefined;
      options?: string[] | null | undefined;
    }
    | null
    | undefined;
}

/**
 * Validates a plugin config against its schema, naming every bad field.
 *
 * @param schema The plugin's schema.
 * @param config The netconf.
 * @param lenient Drop bad fields instead of failing (DEL).
 * @returns The parsed config.
 * @throws {CniError} Code 999 `failed to load netconf: field "<f>": ...`.
 */
export function parseIfaceConf<S extends z.ZodMiniType>(
  schema: S,
  config: unknown,
  lenient = false,
): z.infer<S> {
  const options = { what: "failed to load netconf", code: ErrorCode.Internal };
  return lenient ? parseLenient(schema, config, options).data : parseWith(schema, config, options);
}

/** The fields of macvlan, ipvlan and vlan configs, with their defaults. */
export interface IfaceConf {
  /** The master's name (empty: not given). */
  master: string;
  /** MTU (0: the kernel's choice). */
  mtu: number;
  /** The master lives in the container namespace. */
  linkInContainer: boolean;
  /** The IPAM plugin type (empty: none). */
  ipamType: string;
  /** The netconf `dns`, only the fields that are set. */
  dns: DNS;
}

/**
 * The shared fields of a parsed config, with their defaults.
 *
 * @param raw The parsed config.
 * @returns The fields.
 */
export function ifaceConf(raw: IfaceRaw): IfaceConf {
  return {
    master: raw.master ?? "",
    mtu: raw.mtu ?? 0,
    linkInContainer: raw.linkInContainer ?? false,
    ipamType: raw.ipam?.type ?? "",
    dns: netconfDns(raw),
  };
}

/**
 * The netconf `dns` as the result carries it: only the fields that are set (`{}` when none).
 *
 * @param raw The parsed config.
 * @returns The DNS object.
 */
export function netconfDns(raw: IfaceRaw): DNS {
  return dnsFieldsSet(raw.dns);
}

/**
 * The netconf `dns` when any of its fields is set (the reference's `dnsConfSet`), else
 * undefined (ptp, host-device).
 *
 * @param dns The `dns` object as given.
 * @returns The fields that are set, or undefined.
 */
export function setDns(dns: IfaceRaw["dns"]): DNS | undefined {
  const out = dnsFieldsSet(dns);
  return Object.keys(out).length > 0 ? out : undefined;
}

function dnsFieldsSet(d: IfaceRaw["dns"]): DNS {
  const out: DNS = {};
  if (d?.nameservers) out.nameservers = d.nameservers;
  if (d?.domain) out.domain = d.domain;
  if (d?.search) out.search = d.search;
  if (d?.options) out.options = d.options;
  return out;
}
