// One link add + delete round trip through netlink/ versus spawning `ip link add` / `ip link del`,
// both inside a throwaway namespace made for the run and removed at unload. Root only.
//   deno bench -A bench/netlink_bench.ts
import { linkAddVeth, linkDel, linkGet, openNetlink } from "../netlink/mod.ts";

const ns = `dnlb-${crypto.randomUUID().slice(0, 8)}`;
const isRoot = Deno.uid() === 0;

function ip(args: string[]): void {
  const out = new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

if (isRoot) {
  ip(["netns", "add", ns]);
  globalThis.addEventListener("unload", () => {
    try {
      ip(["netns", "del", ns]);
    } catch { /* best effort */ }
  });
}
const sock = isRoot ? openNetlink({ netns: `/run/netns/${ns}` }) : undefined;

Deno.bench({
  name: "netlink: veth add + del (one socket, in-process)",
  group: "link add+del",
  baseline: true,
  ignore: !isRoot,
  fn() {
    linkAddVeth(sock!, { name: "bnl0", peerName: "bnl1" });
    linkDel(sock!, { name: "bnl0" });
  },
});

Deno.bench({
  name: "ip(8): spawn `ip link add ... type veth` + `ip link del`",
  group: "link add+del",
  ignore: !isRoot,
  async fn() {
    const add = await new Deno.Command("ip", {
      args: ["-n", ns, "link", "add", "bip0", "type", "veth", "peer", "name", "bip1"],
    }).output();
    const del = await new Deno.Command("ip", { args: ["-n", ns, "link", "del", "bip0"] }).output();
    if (!add.success || !del.success) throw new Error("ip link add/del failed");
  },
});

Deno.bench({
  name: "netlink: link show lo (one socket, in-process)",
  group: "link show",
  baseline: true,
  ignore: !isRoot,
  fn() {
    linkGet(sock!, { name: "lo" });
  },
});

Deno.bench({
  name: "ip(8): spawn `ip link show lo`",
  group: "link show",
  ignore: !isRoot,
  async fn() {
    const out = await new Deno.Command("ip", { args: ["-n", ns, "link", "show", "lo"] }).output();
    if (!out.success) throw new Error("ip link show failed");
  },
});
