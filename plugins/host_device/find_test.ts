// Device lookup against a fake sysfs tree and a fake netlink socket that knows a few links:
// by name, MAC, kernel path, PCI address (direct and virtio), auxiliary device, the deviceID
// capability and the DPDK driver check. No kernel, no root.
import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { recordingSocket } from "../../tests/helpers/fake_netlink.ts";
import { CniError } from "../../cni/errors.ts";
import { bytesAttr, cstringAttr, encodeAttrs } from "../../netlink/codec.ts";
import type { NlMessage } from "../../netlink/message.ts";
import { IFLA_ADDRESS, IFLA_IFNAME, RTM_GETLINK, RTM_NEWLINK } from "../../netlink/constants.ts";
import { encodeIfinfomsg } from "../../netlink/link.ts";
import { deviceSelector, findHostDevice, hasDpdkDriver } from "./find.ts";
import { loadHostDeviceConf } from "./config.ts";

const LINKS: Record<string, { index: number; mac: number[] }> = {
  ens5: { index: 5, mac: [2, 0, 0, 0, 0, 5] },
  eth7: { index: 7, mac: [2, 0, 0, 0, 0, 7] },
  eth9: { index: 9, mac: [2, 0, 0, 0, 0, 9] },
  a0: { index: 10, mac: [2, 0xab, 0, 0, 0, 0x10] },
  lo: { index: 1, mac: [0, 0, 0, 0, 0, 0] },
};

function linkMessage(name: string): NlMessage {
  const l = LINKS[name]!;
  const ifi = encodeIfinfomsg({ index: l.index });
  const attrs = encodeAttrs([
    cstringAttr(IFLA_IFNAME, name),
    bytesAttr(IFLA_ADDRESS, new Uint8Array(l.mac)),
  ]);
  const payload = new Uint8Array(ifi.byteLength + attrs.byteLength);
  payload.set(ifi);
  payload.set(attrs, ifi.byteLength);
  return { header: { len: 0, type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0 }, payload };
}

/** A socket that answers RTM_GETLINK by name and dumps every link. */
function fakeHost() {
  return recordingSocket((init, kind) => {
    if (init.type !== RTM_GETLINK) return [];
    if (kind === "dump") return Object.keys(LINKS).map(linkMessage);
    const nameAttr = init.attrs?.find((a) => a.type === IFLA_IFNAME);
    const name = nameAttr && "value" in nameAttr
      ? new TextDecoder().decode(nameAttr.value).replace(/\0$/, "")
      : "";
    return name in LINKS ? [linkMessage(name)] : [];
  }).sock;
}

/** A fake sysfs: PCI devices with and without virtio, a vfio one, an auxiliary device. */
function fakeSysfs(): string {
  const root = Deno.makeTempDirSync({ prefix: "denocni-sysfs-" });
  const mk = (p: string) => Deno.mkdirSync(`${root}/${p}`, { recursive: true });
  mk("bus/pci/drivers/virtio-pci");
  mk("bus/pci/drivers/vfio-pci");
  mk("bus/pci/devices/0000:00:05.0/net/ens5");
  Deno.symlinkSync(
    "../../drivers/virtio-pci",
    `${root}/bus/pci/devices/0000:00:05.0/driver`,
  );
  mk("bus/pci/devices/0000:00:06.0/virtio3/net/eth7");
  mk("bus/pci/devices/0000:00:07.0");
  Deno.symlinkSync(
    "../../drivers/vfio-pci",
    `${root}/bus/pci/devices/0000:00:07.0/driver`,
  );
  mk("bus/pci/devices/0000:00:08.0");
  mk("bus/auxiliary/devices/mlx5_core.eth.0/net/eth9");
  mk("devices/virtual/net/a0");
  mk("devices/virtual/net/lo");
  mk("devices/platform/empty/net");
  return root;
}

const base = { cniVersion: "1.0.0", name: "n", type: "host-device" };
const sel = (extra: Record<string, unknown>, sysfs: string) =>
  deviceSelector(loadHostDeviceConf({ ...base, ...extra }), sysfs);

Deno.test("findHostDevice() finds by name, MAC, kernel path, PCI address and auxiliary device", () => {
  const sysfs = fakeSysfs();
  try {
    const sock = fakeHost();
    const name = (extra: Record<string, unknown>) =>
      findHostDevice(sock, sel(extra, sysfs), sysfs).name;
    assertEquals(name({ device: "eth7" }), "eth7");
    assertEquals(name({ hwaddr: "02:AB:00:00:00:10" }), "a0");
    assertEquals(name({ hwaddr: "02-00-00-00-00-09" }), "eth9");
    assertEquals(name({ hwaddr: "0200.0000.0005" }), "ens5");
    // The first entry of <kernelpath>/net in name order: "a0" before "lo".
    assertEquals(name({ kernelpath: "/sys/devices/virtual" }), "a0");
    assertEquals(name({ pciBusID: "0000:00:05.0" }), "ens5");
    assertEquals(name({ pciBusID: "0000:00:06.0" }), "eth7");
    assertEquals(name({ runtimeConfig: { deviceID: "0000:00:06.0" } }), "eth7");
    assertEquals(name({ runtimeConfig: { deviceID: "mlx5_core.eth.0" } }), "eth9");
    // `device` wins over the others, as in the reference's switch.
    assertEquals(name({ device: "ens5", hwaddr: "02:00:00:00:00:07" }), "ens5");
  } finally {
    Deno.removeSync(sysfs, { recursive: true });
  }
});

Deno.test("findHostDevice() fails with the reference's reasons", () => {
  const sysfs = fakeSysfs();
  try {
    const sock = fakeHost();
    const why = (extra: Record<string, unknown>) =>
      assertThrows(() => findHostDevice(sock, sel(extra, sysfs), sysfs), CniError).msg;
    assertEquals(why({ device: "nosuch" }), "Link not found");
    assertEquals(why({ hwaddr: "02:00:00:00:00:77" }), "failed to find physical interface");
    assertEquals(
      why({ hwaddr: "zz" }),
      'failed to parse MAC address "zz": address zz: invalid MAC address',
    );
    assertEquals(
      why({ kernelpath: "/proc/x" }),
      'kernel device path "/proc/x" must be absolute and begin with /sys/devices/',
    );
    assertEquals(
      why({ kernelpath: "/sys/devices/nosuch" }),
      `failed to read directory ${sysfs}/devices/nosuch/net: "open ${sysfs}/devices/nosuch/net: no such file or directory"`,
    );
    assertEquals(
      why({ kernelpath: "/sys/devices/platform/empty" }),
      `failed to find network device in path ${sysfs}/devices/platform/empty/net`,
    );
    assertEquals(
      why({ pciBusID: "0000:00:08.0" }),
      "no net directory under pci device 0000:00:08.0",
    );
    assertEquals(
      assertThrows(() => sel({ runtimeConfig: { deviceID: "../x" } }, sysfs), CniError).msg,
      "runtime config DeviceID ../x not found or unsupported",
    );
  } finally {
    Deno.removeSync(sysfs, { recursive: true });
  }
});

Deno.test("hasDpdkDriver() tells userspace drivers and names what is missing", () => {
  const sysfs = fakeSysfs();
  try {
    assertEquals(hasDpdkDriver("0000:00:05.0", sysfs), false);
    assertEquals(hasDpdkDriver("0000:00:07.0", sysfs), true);
    assertEquals(
      assertThrows(() => hasDpdkDriver("0000:99:00.0", sysfs), CniError).msg,
      `error with host device: lstat ${sysfs}/bus/pci/devices/0000:99:00.0: no such file or directory`,
    );
    assertEquals(
      assertThrows(() => hasDpdkDriver("0000:00:08.0", sysfs), CniError).msg,
      `error with host device: lstat ${sysfs}/bus/pci/devices/0000:00:08.0/driver: no such file or directory`,
    );
  } finally {
    Deno.removeSync(sysfs, { recursive: true });
  }
});

Deno.test("loadHostDeviceConf() needs a selector (code 999, the reference's text) unless lenient", () => {
  const err = assertThrows(() => loadHostDeviceConf(base), CniError);
  assertEquals([err.code, err.msg], [
    999,
    'specify either "device", "hwaddr", "kernelpath" or "pciBusID"',
  ]);
  assertEquals(loadHostDeviceConf(base, { lenient: true }).device, "");
  const c = loadHostDeviceConf({
    ...base,
    device: "eth1",
    ipam: { type: "static" },
    dns: { nameservers: ["10.0.0.53"] },
    prevResult: "ignored",
  });
  assertEquals([c.device, c.ipamType, c.dns], ["eth1", "static", { nameservers: ["10.0.0.53"] }]);
  assertThrows(() => loadHostDeviceConf({ ...base, device: 7 }), CniError, 'field "device"');
});
