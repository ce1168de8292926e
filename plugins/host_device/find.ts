/**
 * Finding the host device host-device hands over, as the newest reference's `getLink`,
 * `handleDeviceID` and `hasDpdkDriver` do: by name, by MAC (the first link with it), by
 * kernel path (the first entry of `<kernelpath>/net`), by PCI address (the first entry of
 * `/sys/bus/pci/devices/<id>/net`, or of a `virtio*` child's `net`), or by auxiliary device
 * (`/sys/bus/auxiliary/devices/<id>/net`); and whether a PCI device is bound to a userspace
 * (DPDK) driver, in which case there is no netdev to move.
 *
 * sysfs is read under a root given by the caller (`/sys`; tests use a directory tree), through
 * libc: Deno's file API wants `--allow-all` for `/sys`, the plugins run with `--allow-ffi`.
 *
 * @module
 */
import { CniError, ErrorCode, errorText } from "../../cni/errors.ts";
import { close, ErrnoError, O_RDONLY, open, readDirNames, readLink } from "../../ffi/mod.ts";
import { type Link, linkFind, linkList, type NetlinkSocket } from "../../netlink/mod.ts";

/** The drivers that make a PCI device DPDK-only (`userspaceDrivers`). */
export const USERSPACE_DRIVERS: readonly string[] = ["vfio-pci", "uio_pci_generic", "igb_uio"];

/** Which device to look for, after `runtimeConfig.deviceID` was resolved. */
export interface DeviceSelector {
  /** `device`. */
  device: string;
  /** `hwaddr`. */
  hwaddr: string;
  /** `kernelpath`. */
  kernelpath: string;
  /** `pciBusID` (or a PCI `deviceID`). */
  pciBusID: string;
  /** An auxiliary `deviceID`. */
  auxDevice: string;
}

function fail(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

function exists(path: string): boolean {
  try {
    close(open(path, O_RDONLY));
    return true;
  } catch {
    return false;
  }
}

function why(err: unknown): string {
  if (err instanceof ErrnoError && err.code === "ENOENT") return "no such file or directory";
  if (err instanceof ErrnoError && err.code === "ENOTDIR") return "not a directory";
  return errorText(err);
}

/**
 * The selector for a configuration: `runtimeConfig.deviceID` wins over `pciBusID` when it
 * names a PCI device under `<sysfs>/bus/pci/devices`, or becomes an auxiliary device when it
 * names one under `<sysfs>/bus/auxiliary/devices`.
 *
 * @param conf The configuration's device keys.
 * @param sysfs The sysfs root (`/sys`).
 * @returns The selector.
 * @throws {CniError} Code 999 `runtime config DeviceID <id> not found or unsupported`.
 */
export function deviceSelector(
  conf: { device: string; hwaddr: string; kernelpath: string; pciBusID: string; deviceID: string },
  sysfs = "/sys",
): DeviceSelector {
  const sel: DeviceSelector = {
    device: conf.device,
    hwaddr: conf.hwaddr,
    kernelpath: conf.kernelpath,
    pciBusID: conf.pciBusID,
    auxDevice: "",
  };
  const id = conf.deviceID;
  if (id === "") return sel;
  if (!id.includes("/") && id !== "." && id !== "..") {
    if (exists(`${sysfs}/bus/pci/devices/${id}`)) return { ...sel, pciBusID: id };
    if (exists(`${sysfs}/bus/auxiliary/devices/${id}`)) {
      return { ...sel, pciBusID: "", auxDevice: id };
    }
  }
  throw fail(`runtime config DeviceID ${id} not found or unsupported`);
}

/**
 * Whether a PCI device is bound to a userspace (DPDK) driver.
 *
 * @param pciBusID The PCI address.
 * @param sysfs The sysfs root.
 * @returns True for `vfio-pci`, `uio_pci_generic` and `igb_uio`.
 * @throws {CniError} Code 999 `error with host device: lstat <path>: no such file or
 *   directory` when the device or its driver link is missing.
 */
export function hasDpdkDriver(pciBusID: string, sysfs = "/sys"): boolean {
  const link = `${sysfs}/bus/pci/devices/${pciBusID}/driver`;
  let target: string;
  try {
    target = readLink(link);
    if (!exists(link)) throw new ErrnoError("stat", 2, link);
  } catch (err) {
    // Name the first missing part, as Go's EvalSymlinks does.
    let missing = `${sysfs}/bus/pci/devices/${pciBusID}`;
    if (exists(missing)) missing = link;
    throw fail(`error with host device: lstat ${missing}: ${why(err)}`);
  }
  const driver = target.replace(/\/+$/, "").split("/").pop() ?? "";
  return USERSPACE_DRIVERS.includes(driver);
}

/** The first entry of a `net` directory, in name order (Go's `os.ReadDir`). */
function firstNetEntry(dir: string): string | undefined {
  return readDirNames(dir).sort()[0];
}

function linkFromNetDir(sock: NetlinkSocket, dir: string): Link {
  let name: string | undefined;
  try {
    name = firstNetEntry(dir);
  } catch (err) {
    throw fail(`failed to read directory ${dir}: "open ${dir}: ${why(err)}"`);
  }
  if (name === undefined) throw fail(`failed to find network device in path ${dir}`);
  const link = linkFind(sock, { name });
  if (!link) throw fail("Link not found");
  return link;
}

function parseMacText(text: string): string | undefined {
  const m =
    /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/
      .exec(text);
  if (m) return [m[1], m[3], m[4], m[5], m[6], m[7]].join(":").toLowerCase();
  const d = /^([0-9a-fA-F]{4})\.([0-9a-fA-F]{4})\.([0-9a-fA-F]{4})$/.exec(text);
  if (d) return (d[1]! + d[2]! + d[3]!).toLowerCase().match(/../g)!.join(":");
  return undefined;
}

/**
 * Finds the host device (`getLink`): by name, MAC, kernel path, PCI address or auxiliary
 * device, in that order of precedence.
 *
 * @param sock Host-namespace socket.
 * @param sel What to look for.
 * @param sysfs The sysfs root.
 * @returns The link.
 * @throws {CniError} Code 999 with the reference's reason (the caller prefixes `failed to find
 *   host device: `).
 */
export function findHostDevice(sock: NetlinkSocket, sel: DeviceSelector, sysfs = "/sys"): Link {
  if (sel.device !== "") {
    const link = linkFind(sock, { name: sel.device });
    if (!link) throw fail("Link not found");
    return link;
  }
  if (sel.hwaddr !== "") {
    const mac = parseMacText(sel.hwaddr);
    if (!mac) {
      throw fail(
        `failed to parse MAC address "${sel.hwaddr}": address ${sel.hwaddr}: invalid MAC address`,
      );
    }
    const link = linkList(sock).find((l) => l.mac === mac);
    if (link) return link;
    throw fail("failed to find physical interface");
  }
  if (sel.kernelpath !== "") {
    const p = sel.kernelpath;
    if (!p.startsWith("/") || !p.startsWith("/sys/devices/")) {
      throw fail(`kernel device path "${p}" must be absolute and begin with /sys/devices/`);
    }
    // `p` names a path under the real /sys; read it under the given root.
    const dir = `${sysfs}${p.slice("/sys".length).replace(/\/+$/, "")}/net`;
    return linkFromNetDir(sock, dir);
  }
  if (sel.pciBusID !== "") {
    const base = `${sysfs}/bus/pci/devices/${sel.pciBusID}`;
    let dir = `${base}/net`;
    if (!exists(dir)) {
      let virtio: string | undefined;
      try {
        const children = readDirNames(base).sort();
        virtio = children.find((n) => n.startsWith("virtio") && exists(`${base}/${n}/net`));
      } catch {
        // no such device
      }
      if (!virtio) throw fail(`no net directory under pci device ${sel.pciBusID}`);
      dir = `${base}/${virtio}/net`;
    }
    return linkFromNetDir(sock, dir);
  }
  if (sel.auxDevice !== "") {
    return linkFromNetDir(sock, `${sysfs}/bus/auxiliary/devices/${sel.auxDevice}/net`);
  }
  throw fail("failed to find physical interface");
}
