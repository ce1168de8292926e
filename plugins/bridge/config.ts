/**
 * Bridge plugin configuration: the zod/mini schema of every key the newest reference bridge
 * accepts, the reference's extra checks (VLAN trunk, hairpin with promisc, IPAM with
 * `disableContainerInterface`), CNI_ARGS `MAC=` (read with `loadPluginArgs`) and the MAC
 * precedence. Everything is validated before the plugin touches the kernel.
 *
 * @module
 */
import { confDnsSchema, confIpamSchema } from "../../cni/schema.ts";
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { loadPluginArgs } from "../../cni/args.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { DNS } from "../../cni/types.ts";
import { parseNetconf } from "../../cni/validate.ts";

/** The bridge name used when `bridge` is not set. */
export const DEFAULT_BRIDGE_NAME = "cni0";

/** The validated, defaulted bridge configuration. */
export interface BridgeConf {
  /** Network name. */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** Bridge interface name (`bridge`, default `cni0`). */
  brName: string;
  /** Gateway address(es) on the bridge; forced on by `isDefaultGateway`. */
  isGateway: boolean;
  /** Add a default route through the gateway. */
  isDefaultGateway: boolean;
  /** Replace a conflicting address on the bridge instead of failing. */
  forceAddress: boolean;
  /** Masquerade traffic leaving the container subnet. */
  ipMasq: boolean;
  /** Masquerade backend; `undefined` picks automatically (iptables unless unusable). */
  ipMasqBackend: "iptables" | "nftables" | undefined;
  /** MTU for a new bridge and both veth ends (0: kernel default). */
  mtu: number;
  /** Hairpin flag on the host port. */
  hairpinMode: boolean;
  /** Promiscuous mode on the bridge. */
  promiscMode: boolean;
  /** Access VLAN (0: none). */
  vlan: number;
  /** Tagged trunk VIDs, sorted and de-duplicated. */
  vlanTrunk: number[];
  /** Whether a `vlanTrunk` array was given at all (turns on vlan_filtering on a new bridge). */
  hasVlanTrunk: boolean;
  /** Keep the port's existing VLAN entries (default VLAN) when VLANs are configured. */
  preserveDefaultVlan: boolean;
  /** Enable IPv6 DAD on the container interface. */
  enableDad: boolean;
  /** Install the nft MAC spoof check. */
  macSpoofChk: boolean;
  /** Leave the container interface down (L2 only). */
  disableContainerInterface: boolean;
  /** Isolated flag on the host port. */
  portIsolation: boolean;
  /** IPAM plugin type; empty means L2 mode. */
  ipamType: string;
  /** The netconf `dns`, when it has any field set. */
  dns: DNS | undefined;
  /** Container MAC (normalised lower-case `aa:bb:...`) from runtimeConfig/args/CNI_ARGS. */
  mac: string | undefined;
  /** `cni.dev/valid-attachments` (GC), if any. */
  validAttachments: { containerID: string; ifname: string }[] | undefined;
}

const IFNAME_REGEXP = /^[^/:\s]+$/;
const MAC_REGEXP = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/;

function isIfName(name: string): boolean {
  const bytes = new TextEncoder().encode(name).length;
  return bytes >= 1 && bytes <= 15 && name !== "." && name !== ".." && IFNAME_REGEXP.test(name);
}

/** The netconf schema (built on first use: importing the plugin builds no schema). */
const bridgeSchema = lazy(() => {
  const bool = z.optional(z.boolean());

  const optInt = z.optional(z.nullable(z.int()));
  const optString = z.optional(z.string());
  const trunk = z.looseObject({ id: optInt, minID: optInt, maxID: optInt });

  const macString = z.string().check(
    z.refine((s) => s === "" || MAC_REGEXP.test(s), "invalid MAC address"),
    z.refine(
      (s) => s === "" || !MAC_REGEXP.test(s) || (parseInt(s.slice(0, 2), 16) & 1) === 0,
      "MAC address must be unicast (first octet even)",
    ),
  );

  const withMac = z.looseObject({ mac: z.optional(macString) });

  return z.looseObject({
    cniVersion: z.string(),
    name: z.string(),
    type: optString,
    bridge: z.optional(
      z.string().check(
        z.refine(
          isIfName,
          "must be a valid interface name (1-15 bytes, no '/', ':' or whitespace)",
        ),
      ),
    ),
    isGateway: bool,
    isDefaultGateway: bool,
    forceAddress: bool,
    ipMasq: bool,
    ipMasqBackend: z.optional(z.nullable(z.enum(["iptables", "nftables"]))),
    mtu: z.optional(
      z.int().check(
        z.refine(
          (n) => n === 0 || (n >= 68 && n <= 65535),
          "must be 0 (kernel default) or between 68 and 65535",
        ),
      ),
    ),
    hairpinMode: bool,
    promiscMode: bool,
    vlan: z.optional(
      z.int().check(
        z.refine((n) => n >= 0 && n <= 4094, "invalid VLAN ID (must be between 0 and 4094)"),
      ),
    ),
    vlanTrunk: z.optional(z.nullable(z.array(trunk))),
    preserveDefaultVlan: bool,
    enabledad: bool,
    macspoofchk: bool,
    disableContainerInterface: bool,
    portIsolation: bool,
    ipam: confIpamSchema(),
    dns: confDnsSchema(),
    args: z.optional(z.nullable(z.looseObject({
      cni: z.optional(z.nullable(withMac)),
    }))),
    runtimeConfig: z.optional(z.nullable(withMac)),
    "cni.dev/valid-attachments": z.optional(z.nullable(z.array(z.looseObject({
      containerID: z.string(),
      ifname: z.string(),
    })))),
  });
});

/**
 * Validates the trunk entries as the reference does and returns the sorted, de-duplicated
 * VIDs, or the problems found (each naming its entry).
 *
 * @param trunks The `vlanTrunk` entries.
 * @returns `{ vids }` or `{ problems }`.
 */
export function collectVlanTrunk(
  trunks: readonly {
    id?: number | null | undefined;
    minID?: number | null | undefined;
    maxID?: number | null | undefined;
  }[],
): { vids: number[]; problems: string[] } {
  const vids = new Set<number>();
  const problems: string[] = [];
  trunks.forEach((t, i) => {
    const field = `field "vlanTrunk[${i}]"`;
    const hasMin = t.minID !== undefined && t.minID !== null;
    const hasMax = t.maxID !== undefined && t.maxID !== null;
    if (hasMin && !hasMax) {
      problems.push(
        `${field}: minID and maxID should be configured simultaneously, maxID is missing`,
      );
    } else if (!hasMin && hasMax) {
      problems.push(
        `${field}: minID and maxID should be configured simultaneously, minID is missing`,
      );
    } else if (hasMin && hasMax) {
      const min = t.minID!;
      const max = t.maxID!;
      if (min < 1 || min > 4094) problems.push(`${field}: incorrect trunk minID parameter`);
      else if (max < 1 || max > 4094) problems.push(`${field}: incorrect trunk maxID parameter`);
      else if (max < min) problems.push(`${field}: minID is greater than maxID in trunk parameter`);
      else for (let v = min; v <= max; v++) vids.add(v);
    }
    if (t.id !== undefined && t.id !== null) {
      if (t.id < 1 || t.id > 4094) problems.push(`${field}: incorrect trunk id parameter`);
      else vids.add(t.id);
    }
  });
  return { vids: [...vids].sort((a, b) => a - b), problems };
}

function normaliseMac(mac: string): string {
  return mac.toLowerCase().replaceAll("-", ":");
}

function dnsSet(dns: DNS | undefined): boolean {
  if (!dns) return false;
  return (dns.nameservers?.length ?? 0) > 0 || (dns.search?.length ?? 0) > 0 ||
    (dns.options?.length ?? 0) > 0 || (dns.domain ?? "") !== "";
}

/**
 * Loads and validates a bridge configuration. Nothing in the kernel is touched.
 *
 * With `lenient` (for DEL, which is best effort) nothing that can be left out fails: a field
 * that does not validate reads as not given, the cross-field checks and `CNI_ARGS` are
 * skipped, so the DEL still removes what it finds from the container ID, interface name and
 * network name.
 *
 * @param config The parsed stdin JSON.
 * @param cniArgs Raw `CNI_ARGS`.
 * @param options `lenient`: drop what does not validate instead of failing (DEL).
 * @returns The defaulted configuration.
 * @throws {CniError} Code 7 naming each bad field (`failed to load netconf: field "vlan": ...`),
 *   and for bad CNI_ARGS (`loadPluginArgs`'s `ARGS: ...` messages, or an invalid `MAC`).
 *
 * @example Defaults
 * ```ts
 * import { loadBridgeConf } from "./config.ts";
 * const conf = loadBridgeConf({ cniVersion: "1.0.0", name: "n", type: "bridge" }, "");
 * conf.brName; // "cni0"
 * ```
 */
export function loadBridgeConf(
  config: unknown,
  cniArgs: string,
  options: { lenient?: boolean } = {},
): BridgeConf {
  const lenient = options.lenient ?? false;
  const what = "failed to load netconf";
  const raw = parseNetconf(bridgeSchema(), config, { what, lenient });
  const problems: string[] = [];
  let vids: number[] = [];
  if (raw.vlanTrunk) {
    const t = collectVlanTrunk(raw.vlanTrunk);
    vids = t.vids;
    problems.push(...t.problems);
  }
  const ipamType = raw.ipam?.type ?? "";
  if (raw.disableContainerInterface && ipamType !== "") {
    problems.push(
      `field "disableContainerInterface": cannot use IPAM when DisableContainerInterface flag is set`,
    );
  }
  if (raw.hairpinMode && raw.promiscMode) {
    problems.push(
      `field "promiscMode": cannot set hairpin mode and promiscuous mode at the same time`,
    );
  }
  const brName = raw.bridge ?? DEFAULT_BRIDGE_NAME;
  const isDefaultGateway = raw.isDefaultGateway ?? false;
  const isGateway = (raw.isGateway ?? false) || isDefaultGateway;
  const vlan = raw.vlan ?? 0;
  if (vlan !== 0 && isGateway && !isIfName(`${brName}.${vlan}`)) {
    problems.push(
      `field "vlan": the VLAN gateway interface name "${brName}.${vlan}" is longer than 15 bytes; use a shorter bridge name`,
    );
  }
  if (problems.length > 0 && !lenient) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `failed to load netconf: ${problems.join("; ")}`,
    );
  }
  let envMac: string | undefined;
  try {
    envMac = loadPluginArgs(cniArgs, ["MAC"]).MAC;
  } catch (err) {
    if (!lenient) throw err;
  }
  if (lenient && envMac !== undefined && !MAC_REGEXP.test(envMac)) envMac = undefined;
  if (envMac !== undefined && envMac !== "" && !MAC_REGEXP.test(envMac)) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `failed to load netconf: CNI_ARGS "MAC": invalid MAC address "${envMac}"`,
    );
  }
  let mac: string | undefined = envMac || undefined;
  const argsMac = raw.args?.cni?.mac;
  if (argsMac) mac = argsMac;
  const rcMac = raw.runtimeConfig?.mac;
  if (rcMac) mac = rcMac;
  const dns = raw.dns ?? undefined;
  const cleanDns: DNS = {};
  if (dns?.nameservers) cleanDns.nameservers = dns.nameservers;
  if (dns?.domain) cleanDns.domain = dns.domain;
  if (dns?.search) cleanDns.search = dns.search;
  if (dns?.options) cleanDns.options = dns.options;
  return {
    name: raw.name,
    cniVersion: raw.cniVersion,
    brName,
    isGateway,
    isDefaultGateway,
    forceAddress: raw.forceAddress ?? false,
    ipMasq: raw.ipMasq ?? false,
    ipMasqBackend: raw.ipMasqBackend ?? undefined,
    mtu: raw.mtu ?? 0,
    hairpinMode: raw.hairpinMode ?? false,
    promiscMode: raw.promiscMode ?? false,
    vlan,
    vlanTrunk: vids,
    hasVlanTrunk: raw.vlanTrunk !== undefined && raw.vlanTrunk !== null,
    preserveDefaultVlan: raw.preserveDefaultVlan ?? false,
    enableDad: raw.enabledad ?? false,
    macSpoofChk: raw.macspoofchk ?? false,
    disableContainerInterface: raw.disableContainerInterface ?? false,
    portIsolation: raw.portIsolation ?? false,
    ipamType,
    dns: dnsSet(cleanDns) ? cleanDns : undefined,
    mac: mac === undefined ? undefined : normaliseMac(mac),
    validAttachments: raw["cni.dev/valid-attachments"] ?? undefined,
  };
}
