/**
 * vlan's verbs. ADD makes an 802.1Q VLAN link of the master straight in the container
 * namespace (under a temporary name, renamed to `CNI_IFNAME` there) and configures the IPAM
 * addresses on it; DEL removes it and releases the addresses; CHECK compares the container
 * with the previous result (VLAN id and MTU included); STATUS asks the IPAM plugin.
 *
 * Beyond the reference: a missing IPAM type is refused before anything is made; IPAM runs
 * before the link and a failed ADD leaves neither link nor lease (the reference leaks the
 * link); DEL needs no master (the reference's fails without it and then never releases the
 * addresses) and reads the config leniently; a kernel without 8021q is named as such; CHECK
 * names a wrong VLAN id as such; ADD and DEL refuse the plugin's own namespace.
 *
 * @module
 */
import { CniError } from "../../cni/errors.ts";
import type { PluginFns } from "../../cni/plugin.ts";
import { linkAddVlan } from "../../netlink/mod.ts";
import { checkFail } from "../_iface/check.ts";
import { attachLowerLink, type MasterRules, resolveMaster } from "../_iface/lower_link.ts";
import { ifacePlugin } from "../_iface/plugin.ts";
import { loadVlanConf, type VlanConf } from "./config.ts";

/** The master: named in the config (no default), the MTU checked against it on ADD. */
const MASTER: MasterRules = { defaultRoute: false, checkMtu: true };

/**
 * The vlan plugin's functions. ADD: the VLAN link with IPAM's addresses. CHECK: IPAM, then the
 * container's VLAN link (kind, MAC, id, MTU), its addresses and routes, and the master. DEL:
 * best effort, idempotent, needs neither the master nor the namespace. STATUS: the IPAM
 * plugin's (an empty type fails, as in the reference).
 */
export const plugin: PluginFns = ifacePlugin<VlanConf>({
  name: "vlan",
  load: (args, lenient) => loadVlanConf(args.config, { lenient }),
  async add(args, ctx, conf) {
    return await attachLowerLink(args, ctx, {
      kind: "vlan",
      ipamType: conf.ipamType,
      requireIpam: true,
      notify: false,
      dns: conf.dns,
      ipamError: (err) =>
        new CniError(err.code, `failed to execute IPAM delegate: ${err.msg}`, {
          ...(err.details && { details: err.details }),
          cause: err,
        }),
      conf,
      master: MASTER,
      add: (sock, base) => linkAddVlan(sock, { ...base, id: conf.vlanId }),
    });
  },
  check: (conf) => ({
    ipamType: conf.ipamType,
    requireIpam: true,
    missing: "vlan: Required prevResult missing",
    kind: "vlan",
    words: { prefix: "vlan: " },
    // CHECK only looks the master up (its MTU is checked against the link's instead).
    master: {
      first: false,
      resolve: (s) => resolveMaster(s, conf, { ...MASTER, checkMtu: false }),
    },
    link(link) {
      const id = link.vlan?.id;
      if (id !== conf.vlanId) {
        throw checkFail(
          `vlan: Container interface ${link.name} VLAN ID ${id} does not match expected value: ${conf.vlanId}`,
        );
      }
      if (conf.mtu !== 0 && conf.mtu !== link.mtu) {
        throw checkFail(
          `vlan: Container interface ${link.name} MTU ${link.mtu} does not match expected value: ${conf.mtu}`,
        );
      }
    },
    routes: true,
  }),
  status: { lenient: true, emptyIpam: "fail" },
});
