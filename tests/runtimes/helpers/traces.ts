/**
 * What a container can leave behind in a runtime sandbox, found by the strings that name it
 * (its ID, its addresses): host-local leases and owner-index entries (not the bookkeeping
 * files `lock` and `last_reserved_ip.*` nor the index files' header lines, which record past
 * addresses),
 * libcni result cache files, iptables/ip6tables rules and nftables lines; plus every veth and
 * named netns left, which in a sandbox of its own belong to the test.
 *
 * @module
 */
import type { RuntimeHost } from "./runtime_host.ts";

/** The traces found. */
export interface Traces {
  /** Files under `/var/lib/cni/networks` that mention a needle (leases, index entries). */
  leases: string[];
  /** Files under `/var/lib/cni/results` whose name or content mentions a needle. */
  cache: string[];
  /** iptables-save / ip6tables-save / nft lines that mention a needle. */
  rules: string[];
  /** Every veth in the sandbox. */
  veths: string[];
  /** Every named network namespace in the sandbox. */
  netns: string[];
}

/** No traces at all. */
export const NO_TRACES: Traces = { leases: [], cache: [], rules: [], veths: [], netns: [] };

function lines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
}

/**
 * Looks for traces of the needles in the sandbox.
 *
 * @param host The sandbox.
 * @param needles Container IDs, IP addresses (each at least 4 characters).
 * @returns What mentions them.
 */
export async function tracesOf(host: RuntimeHost, needles: readonly string[]): Promise<Traces> {
  if (needles.length === 0 || needles.some((n) => n.length < 4)) {
    throw new Error(`needles too short to be meaningful: ${JSON.stringify(needles)}`);
  }
  const fixed = needles.map((n) => `-e ${JSON.stringify(n)}`).join(" ");
  // A needle must not match a longer one (10.88.0.2 inside 10.88.0.23).
  const bounded = JSON.stringify(
    needles.map((n) => `(^|[^0-9a-f])${n.replace(/\./g, "\\.")}([^0-9a-f]|$)`).join("|"),
  );
  const run = await host.sh(`
echo "== leases"
find /var/lib/cni/networks -type f ! -name 'last_reserved_ip.*' ! -name lock 2>/dev/null |
  while read -r f; do
    case "$f" in
      # An index file's first line is its header (it records last_reserved_ip.* too).
      */.denocni-index/*) body() { tail -n +2 "$f"; } ;;
      *) body() { cat "$f"; } ;;
    esac
    if basename "$f" | grep -qE ${bounded} || body | grep -qE ${bounded}; then echo "$f"; fi
  done
echo "== cache"
find /var/lib/cni/results -type f 2>/dev/null | while read -r f; do
  if basename "$f" | grep -qF ${fixed} || grep -qE ${bounded} "$f"; then echo "$f"; fi
done
echo "== rules"
{ iptables-save; ip6tables-save; nft list ruleset; } 2>/dev/null | grep -E ${bounded} || true
echo "== veths"; ip -o link show type veth | sed -E 's/^[0-9]+: ([^:@]+).*/\\1/' || true
echo "== netns"; ls /run/netns 2>/dev/null || true
echo "== end"
`);
  const out: Record<string, string[]> = {};
  let cur: string | undefined;
  for (const line of run.stdout.split("\n")) {
    const m = /^== (\w+)$/.exec(line);
    if (m) {
      cur = m[1]!;
      out[cur] = [];
    } else if (cur) {
      out[cur]!.push(line);
    }
  }
  const get = (k: string) => [...new Set(lines((out[k] ?? []).join("\n")))].sort();
  return {
    leases: get("leases"),
    cache: get("cache"),
    rules: get("rules"),
    veths: get("veths"),
    netns: get("netns"),
  };
}

/**
 * The sandbox's network state with nothing that changes by itself between two idle moments:
 * link names, iptables/ip6tables rules without counters, files under `/var/lib/cni` by name
 * (not `last_reserved_ip.*` contents; our owner index by its entries, not its bucket files),
 * named netns. Equal before and after a workload means it
 * leaked nothing.
 *
 * @param host The sandbox.
 * @returns Section name to lines.
 */
export async function networkState(host: RuntimeHost): Promise<Record<string, string[]>> {
  const run = await host.sh(`
echo "== links"; ip -o link show | sed -E 's/^[0-9]+: ([^:@]+).*/\\1/'
echo "== rules"; { iptables-save; ip6tables-save; } | grep -v '^#' | sed -E 's/ \\[[0-9]+:[0-9]+\\]$//'
echo "== files"; find /var/lib/cni -mindepth 1 ! -path '*/.denocni-index/*' 2>/dev/null
echo "== index"; find /var/lib/cni/networks/.denocni-index -type f -exec tail -q -n +2 {} + 2>/dev/null | sort || true
echo "== netns"; ls /run/netns 2>/dev/null || true
echo "== end"
`);
  const out: Record<string, string[]> = {};
  let cur: string | undefined;
  for (const line of run.stdout.split("\n")) {
    const m = /^== (\w+)$/.exec(line);
    if (m) {
      cur = m[1]!;
      if (cur !== "end") out[cur] = [];
    } else if (cur && cur !== "end" && line.trim()) {
      out[cur]!.push(line.trim());
    }
  }
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}
