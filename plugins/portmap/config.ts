/**
 * portmap configuration: the plugin keys (`snat`, `masqAll`, `markMasqBit`,
 * `externalSetMarkChain`, `conditionsV4`/`conditionsV6`, `backend`), the `portMappings`
 * capability from `runtimeConfig`, the backend choice from the options given, and the
 * container addresses picked from `prevResult`. Pure: nothing in the kernel is touched.
 *
 * Checks beyond the reference (which passes these on to iptables, or skips them silently):
 * ports above 65535, protocols other than `tcp`/`udp`/`sctp` (any case; lower-cased here),
 * an unparsable `hostIP`, and an unknown key type fail here with code 7 naming the mapping.
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { Result } from "../../cni/types.ts";
import { parseWith } from "../../cni/validate.ts";
import { hasControlCharacter, isChainName } from "../../firewall/chain_name.ts";
import { formatIp, parseCidr, parseIp } from "../../ip/mod.ts";

/** The reference's default `markMasqBit` (mark `0x2000`). */
export const DEFAULT_MARK_BIT = 13;

/** A firewall backend of portmap. */
export type PortmapBackend = "iptables" | "nftables";

/** One entry of the `portMappings` capability, checked and normalised. */
export interface PortMapping {
  /** Port on the host. */
  hostPort: number;
  /** Port in the container. */
  containerPort: number;
  /** `tcp`, `udp` or `sctp` (lower case). */
  protocol: "tcp" | "udp" | "sctp";
  /** Host address the mapping is limited to, normalised; `""` for every local address. */
  hostIP: string;
  /**
   * 4 or 6 when a `hostIP` was given: the mapping applies to that family only (also for
   * `0.0.0.0` and `::`, which then match every address of the family, as in the reference).
   */
  hostFamily?: 4 | 6;
}

/** The loaded configuration. */
export interface PortmapConf {
  /** Network name. */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** Masquerade hairpin and localhost traffic (default true). */
  snat: boolean;
  /** Masquerade traffic from any source to the mapped ports. */
  masqAll: boolean;
  /** The masquerade mark bit (default 13). */
  markMasqBit: number;
  /** A chain of the user's to mark with instead of `CNI-HOSTPORT-SETMARK`. */
  externalSetMarkChain: string | undefined;
  /** Extra match tokens for IPv4 (iptables: on the entry rules; nftables: before `fib`). */
  conditionsV4: string[];
  /** Extra match tokens for IPv6. */
  conditionsV6: string[];
  /** The configured backend, or the one the options imply; `undefined`: automatic. */
  backend: PortmapBackend | undefined;
  /** The port mappings, in the order given. */
  mappings: PortMapping[];
  /** `cni.dev/valid-attachments` (GC), if any. */
  validAttachments: { containerID: string; ifname: string }[] | undefined;
}

/** The container addresses portmap forwards to: the first of each family. */
export interface ContainerIps {
  /** The IPv4 address and its prefix from the result (`10.88.0.5/16`). */
  v4?: { ip: string; cidr: string };
  /** The IPv6 address and its prefix. */
  v6?: { ip: string; cidr: string };
}

const portmapSchema = lazy(() => {
  const optInt = z.optional(z.nullable(z.number()));
  const optString = z.optional(z.nullable(z.string()));
  const strings = z.optional(z.nullable(z.array(z.string())));
  const mapping = z.looseObject({
    hostPort: optInt,
    containerPort: optInt,
    protocol: optString,
    hostIP: optString,
  });
  return z.looseObject({
    cniVersion: z.string(),
    name: z.string(),
    snat: z.optional(z.nullable(z.boolean())),
    masqAll: z.optional(z.nullable(z.boolean())),
    markMasqBit: optInt,
    externalSetMarkChain: optString,
    conditionsV4: strings,
    conditionsV6: strings,
    backend: optString,
    runtimeConfig: z.optional(z.nullable(z.looseObject({
      portMappings: z.optional(z.nullable(z.array(mapping))),
    }))),
    "cni.dev/valid-attachments": z.optional(z.nullable(z.array(z.looseObject({
      containerID: z.string(),
      ifname: z.string(),
    })))),
  });
});

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

function checkPort(value: number | null | undefined, what: string, problems: string[]): number {
  const n = value ?? 0;
  if (!Number.isInteger(n) || n <= 0 || n > 65535) {
    problems.push(`Invalid ${what} port number: ${n}`);
  }
  return n;
}

/** Whether a conditions list is written for iptables (first token `-...` or `!`). */
function iptablesStyle(conditions: readonly string[]): boolean {
  const first = conditions[0] ?? "";
  return first.startsWith("-") || first.startsWith("!");
}

/**
 * The backend the options call for: the configured one (checked against options only the
 * other backend knows, with the reference's message), or, when none is configured, the one
 * the options imply. Unlike the reference, nft-style conditions without `backend` select
 * nftables instead of failing (plugins-more §1.4).
 */
function chooseBackend(
  backend: string | undefined,
  opts: { external: boolean; v4: string[]; v6: string[] },
): PortmapBackend | undefined {
  if (backend !== undefined && backend !== "iptables" && backend !== "nftables") {
    throw new CniError(ErrorCode.InvalidNetworkConfig, `unrecognized backend "${backend}"`);
  }
  const iptOnly: string[] = [];
  const nftOnly: string[] = [];
  if (opts.external) iptOnly.push("externalSetMarkChain");
  for (const [key, list] of [["conditionsV4", opts.v4], ["conditionsV6", opts.v6]] as const) {
    if (list.length === 0) continue;
    (iptablesStyle(list) ? iptOnly : nftOnly).push(key);
  }
  const misfit = (chosen: PortmapBackend, other: string, keys: string[]) =>
    new CniError(
      ErrorCode.InvalidNetworkConfig,
      `${chosen} backend was requested but configuration contains ${other}-specific options [${
        keys.join(" ")
      }]`,
    );
  if (backend === "iptables" && nftOnly.length > 0) throw misfit("iptables", "nftables", nftOnly);
  if (backend === "nftables" && iptOnly.length > 0) throw misfit("nftables", "iptables", iptOnly);
  if (backend !== undefined) return backend;
  if (iptOnly.length > 0 && nftOnly.length > 0) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `configuration contains both iptables-specific options [${
        iptOnly.join(" ")
      }] and nftables-specific options [${nftOnly.join(" ")}]`,
    );
  }
  if (nftOnly.length > 0) return "nftables";
  if (iptOnly.length > 0) return "iptables";
  return undefined;
}

/**
 * Refuses condition tokens that would reach beyond their rule: a control character (a line
 * break ends the `iptables-restore` or `nft -f` line and starts another command) and, in nft
 * text, `;` (a second command) and `#` (a comment swallowing the rest of the rule).
 */
function checkConditions(
  lists: { conditionsV4: string[]; conditionsV6: string[] },
  backend: PortmapBackend | undefined,
): void {
  const problems: string[] = [];
  for (const [key, list] of Object.entries(lists)) {
    list.forEach((token, i) => {
      if (hasControlCharacter(token)) {
        problems.push(`${key}[${i}] ${JSON.stringify(token)} holds a control character`);
      } else if (backend === "nftables" && /[;#]/.test(token)) {
        problems.push(
          `${key}[${i}] ${JSON.stringify(token)}: ";" and "#" would end the nftables rule`,
        );
      }
    });
  }
  if (problems.length > 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, problems.join("; "));
  }
}

/**
 * Loads and validates a portmap configuration.
 *
 * @param config The parsed stdin JSON.
 * @param options `wrap`: prefix errors with `failed to parse config: ` (ADD and DEL do, CHECK
 *   does not, as in the reference).
 * @returns The defaulted configuration.
 * @throws {CniError} Code 7 naming every problem, with the reference's texts
 *   (`Invalid host port number: 0`, `MasqMarkBit must be between 0 and 31`, ...).
 *
 * @example One mapping
 * ```ts
 * import { loadPortmapConf } from "./config.ts";
 * const conf = loadPortmapConf({
 *   cniVersion: "1.0.0", name: "n", type: "portmap",
 *   runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "TCP" }] },
 * });
 * conf.mappings; // [{ hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "" }]
 * ```
 */
export function loadPortmapConf(config: unknown, options: { wrap?: boolean } = {}): PortmapConf {
  const prefix = options.wrap === false ? "" : "failed to parse config: ";
  try {
    return load(config);
  } catch (err) {
    if (err instanceof CniError && prefix !== "") {
      throw new CniError(err.code, `${prefix}${err.msg}`, { cause: err });
    }
    throw err;
  }
}

function load(config: unknown): PortmapConf {
  const raw = parseWith(portmapSchema(), config, { what: "failed to parse network configuration" });
  const problems: string[] = [];
  const external = raw.externalSetMarkChain ?? undefined;
  if (raw.markMasqBit !== undefined && raw.markMasqBit !== null && external !== undefined) {
    problems.push("Cannot specify externalSetMarkChain and markMasqBit");
  }
  if (external !== undefined && !isChainName(external)) {
    problems.push(
      `invalid externalSetMarkChain ${
        JSON.stringify(external)
      }: 1-28 characters, no blanks, quotes or control characters, not starting with "-" or "!"`,
    );
  }
  const markMasqBit = raw.markMasqBit ?? DEFAULT_MARK_BIT;
  if (!Number.isInteger(markMasqBit) || markMasqBit < 0 || markMasqBit > 31) {
    problems.push("MasqMarkBit must be between 0 and 31");
  }
  const mappings: PortMapping[] = [];
  for (const pm of raw.runtimeConfig?.portMappings ?? []) {
    const containerPort = checkPort(pm.containerPort, "container", problems);
    const hostPort = checkPort(pm.hostPort, "host", problems);
    const proto = (pm.protocol ?? "").toLowerCase();
    if (!PROTOCOLS.has(proto)) {
      problems.push(
        `Invalid protocol "${
          pm.protocol ?? ""
        }" for host port ${hostPort}: must be tcp, udp or sctp`,
      );
    }
    const entry: PortMapping = {
      hostPort,
      containerPort,
      protocol: proto as PortMapping["protocol"],
      hostIP: "",
    };
    const hostIP = pm.hostIP ?? "";
    if (hostIP !== "") {
      const ip = parseIp(hostIP);
      if (!ip) problems.push(`Invalid host IP "${hostIP}" for host port ${hostPort}`);
      else {
        entry.hostFamily = ip.family;
        // 0.0.0.0 and :: match every address of their family: no destination match.
        if (!ip.bytes.every((b) => b === 0)) entry.hostIP = formatIp(ip);
      }
    }
    mappings.push(entry);
  }
  if (problems.length > 0) {
    throw new CniError(ErrorCode.InvalidNetworkConfig, problems.join("; "));
  }
  const conditionsV4 = raw.conditionsV4 ?? [];
  const conditionsV6 = raw.conditionsV6 ?? [];
  const backend = chooseBackend(raw.backend ?? undefined, {
    external: external !== undefined,
    v4: conditionsV4,
    v6: conditionsV6,
  });
  checkConditions({ conditionsV4, conditionsV6 }, backend);
  return {
    name: raw.name,
    cniVersion: raw.cniVersion,
    snat: raw.snat ?? true,
    masqAll: raw.masqAll ?? false,
    markMasqBit,
    externalSetMarkChain: external,
    conditionsV4,
    conditionsV6,
    backend,
    mappings,
    validAttachments: raw["cni.dev/valid-attachments"] ?? undefined,
  };
}

/**
 * The container addresses to forward to, as the reference picks them: in `prevResult.ips`
 * order, the first IPv4 and the first IPv6 address, skipping an address whose `interface`
 * names an interface that is not `ifName` or has no sandbox.
 *
 * @param prev The previous result (current format).
 * @param ifName `CNI_IFNAME`.
 * @returns The addresses (each with the prefix from the result).
 */
export function containerIps(prev: Result, ifName: string): ContainerIps {
  const out: ContainerIps = {};
  const ifaces = prev.interfaces ?? [];
  for (const ipc of prev.ips ?? []) {
    const idx = ipc.interface;
    if (idx !== undefined && idx >= 0 && idx < ifaces.length) {
      const iface = ifaces[idx]!;
      if (iface.name !== ifName || !iface.sandbox) continue;
    }
    const c = parseCidr(ipc.address);
    if (!c) continue;
    const entry = { ip: formatIp(c.ip), cidr: ipc.address };
    if (c.ip.family === 4) out.v4 ??= entry;
    else out.v6 ??= entry;
  }
  return out;
}
