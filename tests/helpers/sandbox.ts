/**
 * Runs a bash script in a throwaway sandbox: a new network namespace (so bridges, veths and
 * firewall rules the script causes live and die there) and a private mount namespace with
 * fresh tmpfs on /run and /var/lib (so named namespaces, leases and the result cache start
 * empty and vanish). The host is not touched.
 *
 * @module
 */

/** What the sandboxed script produced. */
export interface SandboxRun {
  /** Exit code of bash. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** The repository root. */
export const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Runs `script` with bash inside the sandbox, from the repository root, with `$DENO` set to
 * the running Deno binary.
 *
 * @param script Bash text (run with `set -u`).
 * @param env Extra environment.
 * @returns Code and output.
 */
export async function inSandbox(
  script: string,
  env: Record<string, string> = {},
): Promise<SandboxRun> {
  const prelude = [
    "set -u",
    "mount -t tmpfs tmpfs /run",
    "mount -t tmpfs tmpfs /var/lib",
    "ip link set lo up",
    `cd ${JSON.stringify(REPO)}`,
  ].join("\n");
  const out = await new Deno.Command("unshare", {
    args: ["--net", "--mount", "--propagation", "private", "bash", "-c", `${prelude}\n${script}`],
    env: { DENO: Deno.execPath(), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Bash that prints what an exec run could leave behind, one section per marker line:
 * `== netns`, `== veth`, `== leases`, `== cache`, `== nat`.
 */
export const LEFTOVERS_SCRIPT = `
echo "== netns"; ls /run/netns 2>/dev/null || true
echo "== veth"; ip -o link show type veth 2>/dev/null || true
echo "== leases"; find /var/lib/cni/networks -type f 2>/dev/null | grep -v -E '/(lock|last_reserved_ip\\.[0-9]+)$' || true
echo "== cache"; find /var/lib/cni/results -type f 2>/dev/null || true
echo "== nat"; iptables -t nat -S 2>/dev/null | grep -E 'CNI|denocni' || true
echo "== end"
`;

/**
 * Splits the output of {@linkcode LEFTOVERS_SCRIPT} into its sections (trimmed lines).
 *
 * @param stdout Output containing the sections.
 * @returns Section name to its non-empty lines.
 */
export function leftovers(stdout: string): Record<string, string[]> {
  const sections: Record<string, string[]> = {};
  let current: string | undefined;
  for (const line of stdout.split("\n")) {
    const m = /^== (\w+)$/.exec(line);
    if (m) {
      current = m[1]!;
      if (current !== "end") sections[current] = [];
      continue;
    }
    if (current && current !== "end" && line.trim()) sections[current]!.push(line.trim());
  }
  return sections;
}

/** The empty leftovers record, for comparison. */
export const NOTHING_LEFT: Record<string, string[]> = {
  netns: [],
  veth: [],
  leases: [],
  cache: [],
  nat: [],
};
