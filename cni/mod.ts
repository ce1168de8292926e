/**
 * The CNI layer: spec types and errors, versions and result conversion, configuration
 * loading, `CNI_ARGS`, the plugin contract and `skel`, the invokers, the result cache and the
 * libcni-style list operations.
 *
 * @example Running a plugin function through skel
 * ```ts
 * import { runPlugin } from "./mod.ts";
 * const out = await runPlugin({
 *   add: () => Promise.resolve({ cniVersion: "1.1.0" }),
 *   check: () => Promise.resolve(),
 *   del: () => Promise.resolve(),
 *   supportedVersions: ["1.1.0"],
 *   about: "demo",
 * }, { env: { CNI_COMMAND: "VERSION" }, stdin: new Uint8Array() });
 * console.log(out.exitCode); // 0
 * ```
 *
 * @module
 */
export { asCniError, CniError, ConfigNotFoundError, ErrorCode } from "./errors.ts";
export type { CniErrorJson, CniErrorOptions } from "./errors.ts";
export { CURRENT_VERSION, SUPPORTED_VERSIONS } from "./types.ts";
export type {
  CniCommand,
  DNS,
  Interface,
  IPConfig,
  NetConf,
  Result,
  Route,
  RuntimeConf,
} from "./types.ts";
export type { CmdArgs, Delegate, PluginContext, PluginFns, PluginRegistry } from "./plugin.ts";
export { formatIssue, formatPath, parseWith } from "./validate.ts";
export {
  checkCommandVersion,
  checkCompatible,
  commandMinVersion,
  compareVersions,
  convertResult,
  decodeVersion,
  decodeVersionInfo,
  formatResult,
  LEGACY_VERSIONS,
  negotiateVersion,
  parseResult,
  parseVersion,
  pluginSupports,
  toCurrentResult,
  versionGt,
  versionGte,
  versionInfoJson,
  versionsStartingFrom,
} from "./version.ts";
export type { ParseResultOptions, VersionInfo } from "./version.ts";
export {
  buildPluginConfig,
  confFiles,
  confListFromConf,
  confListFromConfFile,
  confListFromFile,
  injectConf,
  injectRuntimeConfig,
  listNetworks,
  loadConfList,
  parseConf,
  parseConfList,
  pluginConfsFromDir,
  selectConfigVersion,
} from "./conf.ts";
export type {
  ConfFileError,
  NetworkConfigList,
  NetworkEntry,
  ParseConfOptions,
  PluginConfig,
} from "./conf.ts";
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
  DEFAULT_IFNAME,
  DEFAULT_NETCONFPATH,
  formatCniArgs,
  NETCONFPATH,
  parseCapArgs,
  parseCniArgs,
  parsePluginArgs,
} from "./args.ts";
export {
  formatErrorJson,
  formatVersionInfo,
  runPlugin,
  validateContainerId,
  validateInterfaceName,
  validateNetworkName,
} from "./skel.ts";
export type { SkelIo, SkelOptions, SkelOutput } from "./skel.ts";
export { findInPath, PluginNotFoundError, splitCniPath } from "./find.ts";
export {
  BUILTINS_MODES,
  createDelegate,
  execInvoker,
  inProcessInvoker,
  parseAddOutput,
  parseBuiltinsMode,
  pluginEnv,
  pluginError,
  selectInvoker,
} from "./invoke.ts";
export type {
  BuiltinsMode,
  DelegateOptions,
  ExecInvokerOptions,
  InProcessInvokerOptions,
  InvokeArgs,
  Invoker,
  InvokerOptions,
  RawOutcome,
  SelectInvokerOptions,
} from "./invoke.ts";
export {
  CACHE_KIND_V1,
  cacheFilePath,
  DEFAULT_CACHE_DIR,
  deleteCacheEntry,
  formatCacheEntry,
  listCachedAttachments,
  readCachedResult,
  readCacheEntry,
  writeCacheEntry,
} from "./cache.ts";
export type { AttachmentKey, CachedAttachment, CacheEntryJson, CacheWrite } from "./cache.ts";
export {
  addNetworkList,
  checkNetworkList,
  delNetworkList,
  gcNetworkList,
  getStatusNetworkList,
  getVersionInfo,
  validateNetworkList,
} from "./libcni.ts";
export type {
  AddOptions,
  GcAttachment,
  LibcniOptions,
  ListPlugin,
  NetworkList,
  Runtime,
} from "./libcni.ts";
