/**
 * ipvlan's verbs. ADD makes an ipvlan of the master straight in the container namespace
 * (under a temporary name, renamed to `CNI_IFNAME` there) and configures the addresses of the
 * IPAM plugin, or, chained with an empty `ipam.type`, those of the previous result; DEL
 * removes it and releases the addresses; CHECK compares the container with the previous
 * result; STATUS asks the IPAM plugin, when there is one.
 *
 * Beyond the reference: IPAM runs before the link is made and a failed ADD leaves neither link
 * nor lease (the reference removes neither the link nor, after a configuration failure, the
 * lease); DEL never looks for the master (the reference's does, and fails with
 * `no default route interface found` when there is none) and reads the config leniently; a
 * kernel without ipvlan is named as such; ADD and DEL refuse the plugin's own namespace.
 *
 * @module
 */
import type { PluginFns } from "../../cni/plugin.ts";
import { linkAddIpvlan } from "../../netlink/mod.ts";
import { checkFail } from "../_iface/check.ts";
import { attachLowerLink, type MasterRules, resolveMaster } from "../_iface/lower_link.ts";
import { ifacePlugin } from "../_iface/plugin.ts";
import { type IpvlanConf, loadIpvlanConf } from "./config.ts";

/** The master: where it lives, by default the default route's device; no MTU check. */
const MASTER: MasterRules = { defaultRoute: true, checkMtu: false };

/**
 * The ipvlan plugin's functions. ADD: the ipvlan with IPAM's addresses, or chained (empty
 * `ipam.type`) with the previous result's. CHECK: IPAM (when set), then the container's ipvlan
 * (kind, mode, MAC), its addresses and routes, and the master. DEL: best effort, idempotent,
 * needs neither the master nor the namespace. STATUS: the IPAM plugin's, when there is one.
 */
export const plugin: PluginFns = ifacePlugin<IpvlanConf>({
  name: "ipvlan",
  load: (args, lenient) => loadIpvlanConf(args.config, { lenient }),
  async add(args, ctx, conf) {
    const prevIps = conf.prevResult?.ips ?? [];
    const chained = conf.ipamType === "" && prevIps.length > 0;
    return await attachLowerLink(args, ctx, {
      kind: "ipvlan",
      // Not chained: IPAM is mandatory (an empty type fails as the reference's does).
      ipamType: chained ? "" : conf.ipamType,
      ...(chained && {
        reuse: { ips: prevIps, routes: conf.prevResult?.routes, dns: conf.prevResult?.dns },
      }),
      requireIpam: !chained,
      notify: true,
      dns: conf.dns,
      conf,
      master: MASTER,
      add: (sock, base) => linkAddIpvlan(sock, { ...base, mode: conf.mode }),
    });
  },
  check: (conf) => ({
    ipamType: conf.ipamType,
    missing: "Required prevResult missing",
    kind: "ipvlan",
    master: { first: false, resolve: (s) => resolveMaster(s, conf, MASTER) },
    link(link) {
      const mode = link.ipvlan?.mode;
      if (mode !== conf.mode) {
        throw checkFail(
          `Container IPVlan mode ${mode} does not match expected value: ${conf.mode}`,
        );
      }
    },
    routes: true,
  }),
  status: { lenient: true, emptyIpam: "ready" },
});
