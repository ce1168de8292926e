/**
 * The macvlan, ipvlan, vlan and dummy `RTM_NEWLINK` requests our ops send, compared byte for
 * byte with what the installed iproute2 sends for the same `ip link add` (captured live with
 * `strace -e sendmsg -xx`), in a throwaway namespace holding a veth `p0` as the lower device.
 * A kernel without the kind refuses iproute2's request ("Unknown device type"), which does not
 * change the bytes it sent. Needs root and strace; ignored (with the reason) otherwise.
 *
 * @module
 */
import { assertEquals } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT, unless } from "./helpers/gate.ts";
import { recordingSocket } from "./helpers/fake_netlink.ts";
import { dropNetns, makeNetns } from "./helpers/namespaces.ts";
import { run, sh } from "./helpers/run.ts";
import { hex } from "./fixtures/netlink/fixtures.ts";
import { IPROUTE2 } from "./fixtures/netlink/iproute2_newlink.ts";
import {
  linkAddDummy,
  linkAddIpvlan,
  linkAddMacvlan,
  linkAddVlan,
} from "../netlink/ops/link_add.ts";
import type { NetlinkSocket } from "../netlink/socket.ts";

const HAVE_STRACE = (await run("sh", ["-c", "command -v strace"])).code === 0;

/** The RTM_NEWLINK message iproute2 sent, as hex with the sequence number zeroed. */
async function capture(ns: string, args: string): Promise<string> {
  const out = await run("strace", [
    "-e",
    "trace=sendmsg",
    "-xx",
    "-s",
    "65536",
    "ip",
    "-n",
    ns,
    "link",
    "add",
    ...args.split(" "),
  ]);
  const line = out.stderr.split("\n").find((l) => l.includes("nlmsg_type=0x10"));
  if (!line) throw new Error(`no RTM_NEWLINK in strace output: ${out.stderr}`);
  const m =
    /nlmsg_len=(\d+), nlmsg_type=0x10[^,]*, nlmsg_flags=[^,]*, nlmsg_seq=\d+, nlmsg_pid=(\d+)\}, "([^"]*)"/
      .exec(line);
  if (!m) throw new Error(`cannot read: ${line}`);
  const body = m[3]!.replaceAll("\\x", "");
  const header = new Uint8Array(16);
  const v = new DataView(header.buffer);
  v.setUint32(0, Number(m[1]), true);
  v.setUint16(4, 0x10, true);
  v.setUint16(6, 0x605, true); // checked by the fixture test; strace prints it symbolically
  v.setUint32(12, Number(m[2]), true);
  return hex(header) + body;
}

Deno.test({
  ...gated(
    "linkAdd{Vlan,Ipvlan,Dummy,Macvlan}() send what the installed iproute2 sends (live strace)",
    NEEDS_ROOT,
    unless(HAVE_STRACE, "needs strace"),
  ),
  async fn() {
    const ns = await makeNetns("tkind");
    try {
      await sh("ip", "-n", ns.name, "link", "add", "p0", "type", "veth", "peer", "name", "p1");
      const p0 = (JSON.parse(await sh("ip", "-n", ns.name, "-j", "link", "show", "p0")) as {
        ifindex: number;
      }[])[0]!.ifindex;
      const parent = { index: p0 };
      const ours: Record<string, (s: NetlinkSocket) => void> = {
        "link p0 name vl0 type vlan id 100": (s) =>
          linkAddVlan(s, { name: "vl0", parent, id: 100 }),
        "link p0 name vl0 mtu 1400 type vlan id 4094": (s) =>
          linkAddVlan(s, { name: "vl0", parent, id: 4094, mtu: 1400 }),
        "link p0 name ipv0 type ipvlan mode l3": (s) =>
          linkAddIpvlan(s, { name: "ipv0", parent, mode: "l3" }),
        "link p0 name ipv0 type ipvlan mode l2": (s) =>
          linkAddIpvlan(s, { name: "ipv0", parent, mode: "l2" }),
        "link p0 name ipv0 type ipvlan mode l3s": (s) =>
          linkAddIpvlan(s, { name: "ipv0", parent, mode: "l3s" }),
        "name dm0 type dummy": (s) => linkAddDummy(s, { name: "dm0" }),
        "name dm0 mtu 1400 type dummy": (s) => linkAddDummy(s, { name: "dm0", mtu: 1400 }),
        "link p0 name mv0 type macvlan mode bridge": (s) =>
          linkAddMacvlan(s, { name: "mv0", parent, mode: "bridge" }),
        "link p0 name mv1 mtu 1400 address 02:00:00:00:00:0a type macvlan mode private bcqueuelen 100":
          (s) =>
            linkAddMacvlan(s, {
              name: "mv1",
              parent,
              mode: "private",
              mtu: 1400,
              mac: "02:00:00:00:00:0a",
              bcQueueLen: 100,
            }),
        "link p0 name mv2 type macvlan mode passthru": (s) =>
          linkAddMacvlan(s, { name: "mv2", parent, mode: "passthru" }),
        "link p0 name mv3 type macvlan mode vepa": (s) =>
          linkAddMacvlan(s, { name: "mv3", parent, mode: "vepa" }),
      };
      assertEquals(Object.keys(ours).sort(), Object.keys(IPROUTE2).sort(), "every fixture is run");
      for (const [args, add] of Object.entries(ours)) {
        const theirs = await capture(ns.name, args);
        const { sock, sent } = recordingSocket();
        add(sock);
        assertEquals(hex(sent[0]!.bytes), theirs, args);
        for (const name of ["vl0", "ipv0", "dm0", "mv0", "mv1", "mv2", "mv3"]) {
          await run("ip", ["-n", ns.name, "link", "del", name]);
        }
      }
    } finally {
      await dropNetns(ns);
    }
  },
});
