/**
 * macvlan's verbs. ADD makes a macvlan of the master straight in the container namespace
 * (under a temporary name, renamed to `CNI_IFNAME` there) and either configures the IPAM
 * addresses on it or, without IPAM, just sets it up; DEL removes it and releases the
 * addresses; CHECK compares the container with the previous result; STATUS asks the IPAM
 * plugin, when there is one.
 *
 * Beyond the reference: every key is checked before anything is made; IPAM runs before the
 * link is created and a failed ADD leaves neither link nor lease (the reference leaks the
 * link when IPAM fails); DEL needs no master, goes on after a failed step and reads the
 * config leniently; ADD and DEL refuse the plugin's own namespace.
 *
 * @module
 */
import type { PluginFns } from "../../cni/plugin.ts";
import { linkAddMacvlan } from "../../netlink/mod.ts";
import { checkFail } from "../_iface/check.ts";
import { attachLowerLink, type MasterRules, resolveMaster } from "../_iface/lower_link.ts";
import { ifacePlugin } from "../_iface/plugin.ts";
import { loadMacvlanConf, type MacvlanConf } from "./config.ts";

/** The master: looked up where it lives, defaulted to the default route's device. */
const MASTER: MasterRules = { defaultRoute: true, checkMtu: true };

/** The newest reference's macvlan starts its CHECK messages lower-case. */
const WORDS = { lower: true };

/**
 * The macvlan plugin's functions. ADD: the macvlan with IPAM's addresses, or just up without
 * IPAM. CHECK: the master, IPAM, then the container's macvlan (kind, mode, MAC), its addresses
 * and routes. DEL: best effort, idempotent, needs neither the master nor the namespace.
 * STATUS: the IPAM plugin's, when there is one.
 */
export const plugin: PluginFns = ifacePlugin<MacvlanConf>({
  name: "macvlan",
  load: (args, lenient) => loadMacvlanConf(args.config, args.args, { lenient }),
  async add(args, ctx, conf) {
    return await attachLowerLink(args, ctx, {
      kind: "macvlan",
      ipamType: conf.ipamType,
      notify: true,
      dns: conf.dns,
      conf,
      master: MASTER,
      add: (sock, base) =>
        linkAddMacvlan(sock, {
          ...base,
          mode: conf.mode,
          ...(conf.mac !== undefined && { mac: conf.mac }),
          ...(conf.bcQueueLen !== undefined && { bcQueueLen: conf.bcQueueLen }),
        }),
    });
  },
  check: (conf) => ({
    ipamType: conf.ipamType,
    missing: "required prevResult missing",
    kind: "macvlan",
    words: WORDS,
    master: { first: true, resolve: (s) => resolveMaster(s, conf, MASTER) },
    link(link) {
      const mode = link.macvlan?.mode;
      if (mode !== conf.mode) {
        throw checkFail(
          `container macvlan mode ${mode} does not match expected value: ${conf.mode}`,
          WORDS,
        );
      }
    },
    routes: true,
  }),
  status: { lenient: false, emptyIpam: "ready" },
});
