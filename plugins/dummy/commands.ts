/**
 * dummy's verbs. ADD makes a dummy link named `CNI_IFNAME` straight in the container namespace
 * and configures the IPAM addresses on it (a stable address that lives with the container but
 * on no wire); DEL removes it and releases the addresses; CHECK compares the container with the
 * previous result; STATUS asks the IPAM plugin.
 *
 * Beyond the reference: IPAM runs before the link is made and a failed ADD leaves neither link
 * nor lease, also when IPAM returns no address (the reference then returns without cleaning
 * up); DEL removes the link even when IPAM DEL fails and reads the config leniently; a kernel
 * without dummy support is named as such; ADD and DEL refuse the plugin's own namespace.
 *
 * @module
 */
import type { PluginFns } from "../../cni/plugin.ts";
import { linkAddDummy, linkGet } from "../../netlink/mod.ts";
import { attach } from "../_iface/attach.ts";
import { checkFail } from "../_iface/check.ts";
import { linkCreateError } from "../_iface/create.ts";
import { ifacePlugin } from "../_iface/plugin.ts";
import { type DummyConf, loadDummyConf } from "./config.ts";

/**
 * The dummy plugin's functions. ADD: the dummy link with IPAM's addresses, routes and DNS.
 * CHECK: IPAM, then the container's dummy link (kind, MAC, up) and its addresses (routes are
 * not checked, as in the reference). DEL: best effort, idempotent, works without the
 * namespace. STATUS: the IPAM plugin's.
 */
export const plugin: PluginFns = ifacePlugin<DummyConf>({
  name: "dummy",
  load: (args, lenient) => loadDummyConf(args.config, { lenient }),
  async add(args, ctx, conf) {
    return await attach(args, ctx, {
      kind: "dummy",
      ipamType: conf.ipamType,
      requireIpam: true,
      notify: false,
      dns: undefined,
      prepare() {},
      create(s) {
        try {
          linkAddDummy(s.container, { name: args.ifName });
          return linkGet(s.container, { name: args.ifName });
        } catch (err) {
          throw linkCreateError("dummy", err);
        }
      },
    });
  },
  check: (conf) => ({
    ipamType: conf.ipamType, // never empty: the config requires it
    missing: "dummy: Required prevResult missing",
    kind: "dummy",
    link(link, entry) {
      if (!link.up) throw checkFail(`Interface ${entry.name} is down`);
    },
    routes: false,
  }),
  status: { lenient: false, emptyIpam: "ask" },
});
