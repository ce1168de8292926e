/**
 * firewall configuration: `backend`, `iptablesAdminChainName`, `firewalldZone`,
 * `ingressPolicy`, GC's valid attachments; and what the rules are made from in `prevResult`
 * (every address, and the bridge: the first interface). Pure.
 *
 * Checks beyond the reference, made before anything is touched: an unknown `backend` fails
 * (the reference silently means automatic), an unknown `ingressPolicy` fails before any rule
 * is added (the reference adds the rules first), and the admin chain name must be one
 * iptables accepts.
 *
 * @module
 */
import * as z from "../../cni/_zod.ts";
import { lazy } from "../../cni/_lazy.ts";
import { CniError, ErrorCode } from "../../cni/errors.ts";
import type { Result } from "../../cni/types.ts";
import { parseWith } from "../../cni/validate.ts";
import { isChainName } from "../../firewall/chain_name.ts";
import { formatIp, parseCidr } from "../../ip/mod.ts";

/** The reference's default admin chain. */
export const DEFAULT_ADMIN_CHAIN = "CNI-ADMIN";

/** A backend of the firewall plugin. */
export type FirewallBackend = "iptables" | "nftables" | "firewalld";

/** An `ingressPolicy`. */
export type IngressPolicy = "open" | "same-bridge" | "isolated";

/** The loaded configuration. */
export interface FirewallConf {
  /** Network name. */
  name: string;
  /** The config's `cniVersion`. */
  cniVersion: string;
  /** The configured backend; `undefined`: automatic. */
  backend: FirewallBackend | undefined;
  /** The admin chain jumped to first from `CNI-FORWARD`. */
  adminChain: string;
  /** firewalld zone (only named in the firewalld error). */
  firewalldZone: string;
  /** The ingress policy (`""` reads as `open`). */
  ingressPolicy: IngressPolicy;
  /** `cni.dev/valid-attachments` (GC), if any. */
  validAttachments: { containerID: string; ifname: string }[] | undefined;
}

const firewallSchema = lazy(() => {
  const optString = z.optional(z.nullable(z.string()));
  return z.looseObject({
    cniVersion: z.string(),
    name: z.string(),
    backend: optString,
    iptablesAdminChainName: optString,
    firewalldZone: optString,
    ingressPolicy: optString,
    "cni.dev/valid-attachments": z.optional(z.nullable(z.array(z.looseObject({
      containerID: z.string(),
      ifname: z.string(),
    })))),
  });
});

/**
 * Loads and validates a firewall configuration.
 *
 * @param config The parsed stdin JSON.
 * @returns The defaulted configuration.
 * @throws {CniError} Code 7: `failed to load netconf: ...` naming the problems.
 *
 * @example Defaults
 * ```ts
 * import { loadFirewallConf } from "./config.ts";
 * const conf = loadFirewallConf({ cniVersion: "1.0.0", name: "n", type: "firewall" });
 * [conf.adminChain, conf.ingressPolicy]; // ["CNI-ADMIN", "open"]
 * ```
 */
export function loadFirewallConf(config: unknown): FirewallConf {
  const raw = parseWith(firewallSchema(), config, { what: "failed to load netconf" });
  const problems: string[] = [];
  let backend: FirewallBackend | undefined;
  const b = raw.backend ?? "";
  if (b === "iptables" || b === "nftables" || b === "firewalld") backend = b;
  else if (b !== "") {
    problems.push(`unknown backend "${b}": expected "iptables", "nftables" or "firewalld"`);
  }
  const adminChain = raw.iptablesAdminChainName || DEFAULT_ADMIN_CHAIN;
  if (!isChainName(adminChain)) {
    problems.push(
      `invalid iptablesAdminChainName "${adminChain}": 1-28 characters, no blanks, quotes or control characters, not starting with "-" or "!"`,
    );
  }
  const policy = raw.ingressPolicy || "open";
  if (policy !== "open" && policy !== "same-bridge" && policy !== "isolated") {
    problems.push(`unknown ingress policy: "${policy}"`);
  }
  if (problems.length > 0) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `failed to load netconf: ${problems.join("; ")}`,
    );
  }
  return {
    name: raw.name,
    cniVersion: raw.cniVersion,
    backend,
    adminChain,
    firewalldZone: raw.firewalldZone || "trusted",
    ingressPolicy: policy as IngressPolicy,
    validAttachments: raw["cni.dev/valid-attachments"] ?? undefined,
  };
}

/** The container addresses of a result, by family, as plain addresses. */
export interface FamilyIps {
  /** IPv4 addresses, in result order, without duplicates. */
  v4: string[];
  /** IPv6 addresses. */
  v6: string[];
}

/**
 * Every address of the result, by family (the reference uses all of them, whatever their
 * `interface`).
 *
 * @param prev The previous result (current format).
 * @returns The addresses.
 */
export function resultIps(prev: Result): FamilyIps {
  const out: FamilyIps = { v4: [], v6: [] };
  for (const ipc of prev.ips ?? []) {
    const c = parseCidr(ipc.address);
    if (!c) continue;
    const list = c.ip.family === 4 ? out.v4 : out.v6;
    const ip = formatIp(c.ip);
    if (!list.includes(ip)) list.push(ip);
  }
  return out;
}

/**
 * The bridge an ingress policy applies to: the result's first interface (firewall must be
 * chained after bridge), with the reference's messages.
 *
 * @param prev The previous result.
 * @param policy The policy (for the message).
 * @returns The bridge name.
 * @throws {CniError} Code 7 when there is no usable first interface.
 */
export function bridgeOf(prev: Result, policy: IngressPolicy): string {
  const first = prev.interfaces?.[0];
  if (!first) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `interface needs to be set for ingress policy "${policy}", make sure to chain "firewall" plugin with "bridge"`,
    );
  }
  if (!first.name) throw new CniError(ErrorCode.InvalidNetworkConfig, "got empty bridge name");
  return first.name;
}
