/**
 * The deliberate differences between our plugins' outcomes and Debian's Go plugins (1.1.1,
 * /usr/lib/cni) on the malformed-input corpus. Every case whose outcome differs must match one
 * rule here (the corpus test fails otherwise), and the README's table is generated from the
 * rules and a corpus run (`DENOCNI_HOSTILE_REPORT=FILE deno task soak`).
 *
 * An outcome is `ok`, an error code, or `timeout`/`memory` (killed by the guard).
 *
 * @module
 */

/** One deliberate difference. */
export interface Difference {
  /** Short name. */
  name: string;
  /** Which cases (matched against the case id). */
  cases: RegExp;
  /** Our outcome. */
  ours: RegExp;
  /** The Go plugin's outcome. */
  go: RegExp;
  /** Why we differ. */
  why: string;
}

const CODE = /^\d+$/;
const ANY = /^.*$/;

/** The rules, first match wins. */
export const DIFFERENCES: readonly Difference[] = [
  {
    name: "own namespace refused",
    cases: /\/CNI_NETNS\/own-/,
    ours: /^8$/,
    go: /^(ok|999)$/,
    why: "ours refuses to act on its own network namespace on ADD and DEL (skel code 8); " +
      "Debian's 1.1.1 skel has no such check and acts on the host's interfaces (tuning and " +
      "bandwidth then fail there, 999, not finding the container's `eth0`)",
  },
  {
    name: "GC and STATUS",
    cases: /\/(GC|STATUS)\/|\/CNI_COMMAND\/(gc|status)-/,
    ours: ANY,
    go: /^4$/,
    why: "Debian's 1.1.1 predates GC and STATUS (spec 1.1.0): unknown command, code 4; ours " +
      "runs them (version-gated, code 1 below 1.1.0)",
  },
  {
    name: "typed config errors",
    cases: /^[^/]+\/(ADD|DEL|CHECK)\/(?!CNI_|stdin\/)/,
    ours: /^7$/,
    go: /^999$/,
    why: "Go decodes the config with encoding/json and returns type errors and its own checks " +
      "as 999; ours reports every invalid field as 7 (invalid network config) naming the field",
  },
  {
    name: "keys newer than 1.1.1",
    cases:
      /\/(preserveDefaultVlan|disableContainerInterface|portIsolation|vlanTrunk|ipMasqBackend|linkInContainer|bcqueuelen|cni\.dev\/valid-attachments)\/|combination\/no-container-iface|ipam\.routes\/(mtu-string|priority-huge)|^sbr\/[A-Z]+\/(table|gateways|addSourceHints)\//,
    ours: /^(7|999)$/,
    go: /^ok$/,
    why: "keys of the newest reference that Debian's 1.1.1 does not know and ignores whatever " +
      "their value (bridge's and ptp's `ipMasqBackend`, macvlan's `linkInContainer` and " +
      "`bcqueuelen`, sbr's `table`, `gateways` and `addSourceHints`, ...); ours validates " +
      "them as the newest reference does",
  },
  {
    name: "bounds Go does not check",
    cases: /\/mtu\/(negative|int32-min)|\/ipam\.(rangeStart|rangeEnd|gateway)\/|\/dst-missing$/,
    ours: /^7$/,
    go: /^ok$/,
    why: "a negative MTU, the network or broadcast address as a range bound, a gateway outside " +
      "the subnet or of the other family, a route without dst: Go accepts them, ours refuses",
  },
  {
    name: "prevResult parsed on ADD and CHECK",
    cases: /\/(ADD|CHECK)\/prevResult\//,
    ours: /^6$/,
    go: /^(ok|999)$/,
    why: "ours parses prevResult as a result and refuses one that is not (code 6); Go bridge " +
      "and the Go chained plugins fail on some as 999 and pass others on, Go host-local " +
      "ignores it",
  },
  {
    name: "DEL with a garbage prevResult",
    cases: /\/DEL\/prevResult\//,
    ours: /^ok$/,
    go: /^999$/,
    why: "DEL is best effort: ours ignores a prevResult it cannot parse and cleans up (also " +
      "after a real ADD); Go bridge, tuning, bandwidth, portmap and firewall cannot load " +
      "their config and leave the attachment",
  },
  {
    name: "point-to-point and whole-space subnets",
    cases: /\/ipam\.subnet\/(slash-3[12]|everything-v[46])$/,
    ours: /^ok$/,
    go: /^999$/,
    why: "ours allocates from /31, /32, 0.0.0.0/0 and ::/0; Go 1.1.1 calls /31-/32 too small " +
      "and miscomputes the whole-space range",
  },
  {
    name: "malformed CNI_ARGS",
    cases: /\/CNI_ARGS\//,
    ours: /^(4|6|7)$/,
    go: /^999$/,
    why: "Go returns types.LoadArgs errors and bad `IP`, `GATEWAY` or `MAC` values untyped " +
      "(999); ours types them: 4 (bridge, bad environment), 6 (host-local, decoding failure) " +
      "or 7 (static and tuning, for which these values are configuration)",
  },
  {
    name: "built-in IPAM needs no CNI_PATH",
    cases: /\/CNI_PATH\//,
    ours: /^ok$/,
    go: /^999$/,
    why: "ours runs the built-in host-local in-process, so a useless CNI_PATH does not matter",
  },
  {
    name: "files that are not regular",
    cases: /\/(ipam\.resolvConf|ipam\.dataDir|dataDir)\/|\/CNI_NETNS\/fifo/,
    ours: CODE,
    go: /^(ok|999|timeout|memory)$/,
    why: "ours refuses a resolvConf, lock or namespace path that is a device, FIFO or too big, " +
      "and a tuning dataDir that is not a directory, with a typed error before reading; Go " +
      "reads resolvConf with a line scanner (999 on /dev/zero, hangs on a FIFO, reads " +
      "/dev/stdin) and hangs on a FIFO lock file",
  },
  {
    name: "stdin over 1 MiB",
    cases: /\/stdin\/two-mib-/,
    ours: /^5$/,
    go: /^(ok|6)$/,
    why: "ours reads at most 1 MiB of configuration from stdin and refuses more (code 5) before " +
      "parsing; Go reads stdin without a limit",
  },
  {
    name: "DEL of a path that is no namespace",
    cases: /\/DEL\/CNI_NETNS\/(fifo|regular-file|directory)/,
    ours: /^ok$/,
    go: /^999$/,
    why: "DEL is best effort: a CNI_NETNS that is not a network namespace holds nothing to " +
      "delete, so ours cleans up the host side and succeeds; Go fails with `unknown FS magic`",
  },
  {
    name: "DEL after the namespace is gone (host-device, sbr)",
    cases: /^(host-device|sbr)\/DEL\/(CNI_NETNS\/missing-del|netns\/after-add-netns-gone)$/,
    ours: /^ok$/,
    go: /^999$/,
    why: "DEL is best effort and idempotent: with the namespace gone there is nothing left in " +
      "it to undo, so ours succeeds (and releases the lease); Go host-device fails opening " +
      "the namespace and Go sbr with `unknown FS magic`, so a runtime retries forever",
  },
  {
    name: "ADD result not expressible in the config's version",
    cases: /^(host-device|macvlan)\/ADD\/cniVersion\/null$/,
    ours: /^1$/,
    go: /^999$/,
    why: "an attachment without addresses (host-device or macvlan without IPAM) has no 0.1.0 " +
      "or 0.2.0 result: both fail (`cannot convert: no valid IP addresses`), Go with 999 " +
      "leaving the device moved or made, ours with 1 (incompatible version) after undoing it",
  },
  {
    name: "names too long for a path",
    cases: /\/name\/300-chars$/,
    ours: /^5$/,
    go: /^999$/,
    why: "a 300-character network name cannot be a directory name (ENAMETOOLONG): ours reports " +
      "it as an I/O failure (5) naming the path, Go as 999",
  },
  {
    name: "stdin null",
    cases: /\/stdin\/null$/,
    ours: /^6$/,
    go: /^7$/,
    why: "Go unmarshals `null` into an empty config (missing name, 7); ours refuses a config " +
      "that is not an object (6)",
  },
  {
    name: "keys and values newer than 1.1.1 (tuning, portmap, firewall)",
    cases:
      /^tuning\/.*\/(txQLen\/|args\/cni-txqlen|sysctl\/duplicate-key$)|^portmap\/.*\/(masqAll|backend)\/|^firewall\/ADD\/ingressPolicy\/isolated$/,
    ours: /^(7|ok)$/,
    go: /^(ok|999)$/,
    why: "tuning's `txQLen` and duplicate-key check, portmap's `masqAll` and `backend`, the " +
      "firewall's `isolated` policy come from newer references: Debian's 1.1.1 ignores the " +
      "keys whatever their value (or refuses the policy, 999); ours validates and implements them",
  },
  {
    name: "unknown firewall backend",
    cases: /^firewall\/.*\/backend\/(unknown|upper)$/,
    ours: /^7$/,
    go: /^ok$/,
    why: "the reference reads a `backend` it does not know as automatic; ours refuses it " +
      "before touching anything",
  },
  {
    name: "values Go 1.1.1 does not check (tuning, portmap, firewall)",
    cases:
      /^tuning\/.*\/(sysctl\/(value-null|key-double-dot)|mac\/eui64)$|^portmap\/.*(\.portMappings\/host-ip-|\/conditionsV6\/null-entry$)|^firewall\/.*\/iptablesAdminChainName\//,
    ours: /^7$/,
    go: /^ok$/,
    why: "a `null` sysctl value, a sysctl key with an empty part, an 8-byte MAC, a `hostIP` " +
      "that is no address (Go drops the limit to it), a `null` condition token, an admin " +
      "chain name with a quote: Go accepts them, ours refuses them",
  },
  {
    name: "line breaks in firewall tokens",
    cases: /^portmap\/.*\/conditionsV[46]\/(newline|restore-injection|carriage-return)$/,
    ours: /^7$/,
    go: /^ok$/,
    why: "Go passes each token as its own `iptables` argument, where a line break is inert; " +
      "ours writes `iptables-restore` and `nft -f` scripts, where it would start another " +
      "command, so it refuses control characters in tokens",
  },
  {
    name: "nftables conditions",
    cases: /^portmap\/.*\/conditionsV4\/(nft-valid|empty-token)$/,
    ours: /^ok$/,
    go: /^999$/,
    why: "ours uses the nftables backend for nft-style conditions (or when asked); Debian's " +
      "1.1.1 has no nftables backend and hands them to `iptables`, which refuses them",
  },
  {
    name: "Go 1.1.1 panics",
    cases: /\/(cni-sysctl-without-top-level|nothing-to-limit-without-prevResult)$/,
    ours: ANY,
    go: /^garbled$/,
    why: "1.1.1 crashes without an error object: tuning writes `args.cni.sysctl` into a nil " +
      "map when there is no top-level `sysctl`; bandwidth with nothing to limit reads a " +
      "missing `prevResult`. Ours applies the sysctl, or fails with an error object",
  },
  {
    name: "300 port mappings",
    cases: /\.portMappings\/three-hundred$/,
    ours: /^ok$/,
    go: /^timeout$/,
    why: "1.1.1 runs one `iptables` process per rule and needs more than the 8 s limit for " +
      "300 mappings; ours writes them in one `iptables-restore` per family",
  },
  {
    name: "portmap CHECK of an IPv4-only container",
    cases: /^portmap\/CHECK\//,
    ours: /^ok$/,
    go: /^999$/,
    why: "1.1.1's CHECK looks for the IPv6 chain of a container that has no IPv6 address and " +
      "fails (its known bug); ours checks the families the container has",
  },
  {
    name: "prevResult of a newer version",
    cases: /^(tuning|portmap|sbr|vrf)\/ADD\/cniVersion\/(0\.2\.0|null)$/,
    ours: /^(6|ok)$/,
    go: /^999$/,
    why: "the bridge's `prevResult` is a 1.0.0 result under a 0.2.0 (or versionless) config: " +
      "tuning, sbr and vrf, which read its interfaces, refuse it as undecodable (6; Go 999); " +
      "portmap needs only its addresses and passes it on converted to the config's version " +
      "(Go 999)",
  },
  {
    name: "loopback ignores type",
    cases: /^loopback\/.*\/type\//,
    ours: /^ok$/,
    go: /^999$/,
    why: "the runtime already chose the plugin: ours does not type-check `type` in loopback; " +
      "Go decodes it into a string field",
  },
];

/**
 * The rule explaining a difference, if any.
 *
 * @param id Case id.
 * @param ours Our outcome.
 * @param go The Go plugin's outcome.
 * @returns The rule, or undefined when the difference is not deliberate.
 */
export function explain(id: string, ours: string, go: string): Difference | undefined {
  return DIFFERENCES.find((d) => d.cases.test(id) && d.ours.test(ours) && d.go.test(go));
}
