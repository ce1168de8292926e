/**
 * denocni: the Container Network Interface (CNI 1.1) for Deno. This module is the library: it
 * loads network configurations, runs plugin chains the way libcni does (ADD, CHECK, DEL, GC,
 * STATUS with the result cache), converts results between CNI versions, and ships the
 * built-in plugins (`bridge`, `loopback`, `host-local`, `bandwidth`, `static`, `tuning`,
 * `portmap`, `firewall`: `BUILTIN_PLUGINS`) so they can run in-process, without spawning
 * binaries. Plugins on disk (any vendor's) run through the exec invoker as a runtime would.
 *
 * Kernel work (namespaces, links, addresses, routes) goes through libc and rtnetlink, so a
 * program that attaches networks needs `--allow-ffi` and root; loading configurations and
 * converting results need neither.
 *
 * @example Load a network list and convert a result to an older CNI version
 * ```ts
 * import assert from "node:assert/strict";
 * import { convertResult, parseConfList } from "./mod.ts";
 *
 * const list = parseConfList(
 *   JSON.stringify({
 *     cniVersion: "1.0.0",
 *     name: "lo-only",
 *     plugins: [{ type: "loopback" }],
 *   }),
 * );
 * assert.equal(list.name, "lo-only");
 * assert.equal(list.plugins.length, 1);
 *
 * const old = convertResult({
 *   cniVersion: "1.0.0",
 *   interfaces: [{ name: "eth0", mac: "0a:58:0a:16:00:02" }],
 *   ips: [{ address: "10.22.0.2/16", gateway: "10.22.0.1", interface: 0 }],
 * }, "0.2.0");
 * assert.equal(
 *   JSON.stringify(old),
 *   '{"cniVersion":"0.2.0","ip4":{"ip":"10.22.0.2/16","gateway":"10.22.0.1"},"dns":{}}',
 * );
 * ```
 *
 * @example Attach the built-in loopback plugin to a namespace, in-process (root)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import {
 *   addNetworkList,
 *   BUILTIN_PLUGINS,
 *   delNetworkList,
 *   inProcessInvoker,
 *   netnsAdd,
 *   netnsDelete,
 *   parseConfList,
 *   pendingKernelWork,
 * } from "./mod.ts";
 *
 * const list = parseConfList('{"cniVersion":"1.1.0","name":"lo","plugins":[{"type":"loopback"}]}');
 * // In-process built-ins need no CNI_PATH; it is only used when a plugin delegates by exec.
 * const invoker = inProcessInvoker(BUILTIN_PLUGINS, { cniPath: [] });
 * const netns = netnsAdd("demo");
 * const rt = { containerId: "demo", netns, ifName: "lo" };
 * try {
 *   const result = await addNetworkList(list, rt, { invoker });
 *   assert.equal(result.cniVersion, "1.1.0");
 *   await delNetworkList(list, rt, { invoker });
 *   await pendingKernelWork(); // the kernel's last cleanup after a DEL (e.g. of a veth)
 * } finally {
 *   netnsDelete("demo");
 * }
 * ```
 *
 * @module
 */

// Errors
export { asCniError, CniError, ConfigNotFoundError, ErrorCode } from "./cni/errors.ts";
export type { CniErrorJson, CniErrorOptions } from "./cni/errors.ts";
export { ErrnoError } from "./ffi/errno.ts";
export { PluginNotFoundError } from "./cni/find.ts";

// Spec types
export { CURRENT_VERSION, SUPPORTED_VERSIONS } from "./cni/types.ts";
export type {
  CniCommand,
  DNS,
  Interface,
  IPConfig,
  NetConf,
  Result,
  Route,
  RuntimeConf,
} from "./cni/types.ts";

// Versions and result conversion
export {
  checkCommandVersion,
  checkCompatible,
  commandMinVersion,
  compareVersions,
  decodeVersion,
  decodeVersionInfo,
  LEGACY_VERSIONS,
  negotiateVersion,
  parseVersion,
  pluginSupports,
  versionGt,
  versionGte,
  versionInfoJson,
  versionsStartingFrom,
} from "./cni/version.ts";
export type { VersionInfo } from "./cni/version.ts";
export {
  convertResult,
  formatResult,
  parseResult,
  resultTypeVersions,
  toCurrentResult,
} from "./cni/results/mod.ts";
export type { ParseResultOptions } from "./cni/results/mod.ts";

// Configuration
export { confListFromConf, parseConf, parseConfList, selectConfigVersion } from "./cni/conf.ts";
export type { NetworkConfigList, ParseConfOptions, PluginConfig } from "./cni/conf.ts";
export {
  confFiles,
  confListFromConfFile,
  confListFromFile,
  listNetworks,
  loadConfList,
  pluginConfsFromDir,
} from "./cni/conf_files.ts";
export type { ConfFileError, NetworkEntry } from "./cni/conf_files.ts";
export { buildPluginConfig, injectConf, injectRuntimeConfig } from "./cni/conf_inject.ts";

// CNI_* variables and CNI_ARGS
export {
  argsToEnv,
  CAP_ARGS,
  CNI_ARGS,
  CNI_COMMAND,
  CNI_CONTAINERID,
  CNI_IFNAME,
  CNI_NETNS,
  CNI_NETNS_OVERRIDE,
  CNI_PATH,
  formatCniArgs,
  NETCONFPATH,
  parseCapArgs,
  parseCniArgs,
} from "./cni/args.ts";

// Writing plugins: the contract and skel
export type {
  CmdArgs,
  Delegate,
  PluginContext,
  PluginFns,
  PluginLog,
  PluginRegistry,
} from "./cni/plugin.ts";
export { prevResultAsGiven } from "./cni/prev_result.ts";
export { runPlugin } from "./cni/skel.ts";
export { formatErrorJson, formatVersionInfo } from "./cni/skel_output.ts";
export { validateContainerId, validateInterfaceName, validateNetworkName } from "./cni/names.ts";
export type { SkelIo, SkelOptions, SkelOutput } from "./cni/skel.ts";

// Running plugins: invokers
export { findInPath, splitCniPath } from "./cni/find.ts";
export {
  BUILTINS_MODES,
  createDelegate,
  inProcessInvoker,
  parseBuiltinsMode,
  selectInvoker,
} from "./cni/invoke_builtin.ts";
export { execInvoker } from "./cni/invoke_exec.ts";
export type { InvokeArgs, Invoker, InvokerOptions, RawOutcome } from "./cni/invoke.ts";
export type {
  BuiltinsMode,
  DelegateOptions,
  InProcessInvokerOptions,
  SelectInvokerOptions,
} from "./cni/invoke_builtin.ts";
export type { ExecInvokerOptions } from "./cni/invoke_exec.ts";

// libcni: network list operations
export { addNetworkList, checkNetworkList, delNetworkList } from "./cni/libcni.ts";
export {
  gcNetworkList,
  getStatusNetworkList,
  getVersionInfo,
  validateNetworkList,
} from "./cni/libcni_network.ts";
export type { AddOptions, LibcniOptions, ListPlugin, NetworkList, Runtime } from "./cni/libcni.ts";
export type { GcAttachment } from "./cni/libcni_network.ts";

// Defaults
export {
  CNI_STATE_DIR,
  DEFAULT_CACHE_DIR,
  DEFAULT_CNI_PATH,
  DEFAULT_IFNAME,
  DEFAULT_NETCONFPATH,
} from "./cni/defaults.ts";

// Result cache, read side (libcni writes it): GetNetworkListCachedResult, GetCachedAttachments
export {
  cacheFilePath,
  listCachedAttachments,
  readCachedResult,
  readCacheEntry,
} from "./cni/cache.ts";
export type { AttachmentKey, CachedAttachment, CacheEntryJson } from "./cni/cache.ts";

// Built-in plugins
export { BUILTIN_PLUGINS } from "./plugins/mod.ts";

// Kernel work still finishing after a call returned (an in-process DEL returns once the veth
// is gone)
export { pendingKernelWork } from "./netlink/socket.ts";

// Named network namespaces (as `ip netns`) for the containers a runtime attaches, and the
// errors a bad namespace path raises. Everything else of namespaces is `./netns`.
export { NetnsNotFoundError, NotNetnsError } from "./netns/netns.ts";
export {
  NETNS_RUN_DIR,
  netnsAdd,
  netnsDelete,
  NetnsError,
  netnsList,
  netnsPath,
} from "./netns/named.ts";
