/**
 * The contract between the engine and a plugin: what a plugin module exports and what it is
 * called with, whether it runs in-process or behind `skel` as an exec'd binary.
 *
 * @module
 */
import type { CniCommand, NetConf, Result } from "./types.ts";

/** The parsed `CNI_*` environment and stdin of one plugin call. */
export interface CmdArgs {
  /** `CNI_COMMAND`. */
  command: CniCommand;
  /** `CNI_CONTAINERID` (empty when the verb does not need it). */
  containerId: string;
  /** `CNI_NETNS` (empty when absent). */
  netns: string;
  /** `CNI_IFNAME` (empty when absent). */
  ifName: string;
  /** Raw `CNI_ARGS` (`K=V;K2=V2`), empty when absent. */
  args: string;
  /** `CNI_PATH` (colon-separated), empty when absent. */
  path: string;
  /** `CNI_NETNS_OVERRIDE`, if set. */
  netnsOverride?: string;
  /** The raw stdin bytes (the network configuration). */
  stdinData: Uint8Array;
  /** The stdin parsed as JSON (already checked to be an object with `cniVersion`). */
  config: NetConf;
}

/**
 * Runs another plugin on a plugin's behalf (IPAM delegation, `pkg/ipam.ExecAdd` in Go).
 * The caller's `CNI_*` values are reused; `netconf` is the full config to put on stdin.
 */
export interface Delegate {
  /** Delegated ADD; returns the delegate's result converted to the current version. */
  add(type: string, netconf: Uint8Array, args: CmdArgs): Promise<Result>;
  /** Delegated CHECK. */
  check(type: string, netconf: Uint8Array, args: CmdArgs): Promise<void>;
  /** Delegated DEL. */
  del(type: string, netconf: Uint8Array, args: CmdArgs): Promise<void>;
  /** Delegated GC. */
  gc?(type: string, netconf: Uint8Array, args: CmdArgs): Promise<void>;
  /** Delegated STATUS. */
  status?(type: string, netconf: Uint8Array, args: CmdArgs): Promise<void>;
}

/** What a plugin is given besides its args. */
export interface PluginContext {
  /** Runs IPAM or other delegated plugins. */
  delegate: Delegate;
  /** Environment of the call (for plugins that must read e.g. `CNI_PATH` more). */
  env: Readonly<Record<string, string>>;
  /**
   * Writes one warning line (without its newline): logs only, never results or errors. A
   * plugin has no other output: as a process (skel) the line is printed on stderr; in-process
   * it goes to the embedder's logger (invoke options `log`), or nowhere.
   */
  log: PluginLog;
}

/** A plugin's warning sink: one line at a time, without the newline; it never throws. */
export type PluginLog = (line: string) => void;

/**
 * A plugin: plain functions. `add` returns a result in the current (1.1.0) shape; the caller
 * (skel or the in-process invoker) converts it to the config's `cniVersion`. Failures are
 * thrown as `CniError`.
 */
export interface PluginFns {
  /**
   * ADD. Returns the result in the current shape, or, to hand the previous result on
   * unchanged, the one from `prevResultAsGiven` (in its own version's shape); skel prints
   * either in the config's version.
   */
  add(args: CmdArgs, ctx: PluginContext): Promise<Result>;
  /** CHECK. */
  check(args: CmdArgs, ctx: PluginContext): Promise<void>;
  /** DEL. */
  del(args: CmdArgs, ctx: PluginContext): Promise<void>;
  /** STATUS (1.1.0). */
  status?(args: CmdArgs, ctx: PluginContext): Promise<void>;
  /** GC (1.1.0). */
  gc?(args: CmdArgs, ctx: PluginContext): Promise<void>;
  /** Versions this plugin supports (for VERSION). */
  supportedVersions: readonly string[];
  /** The about text printed when `CNI_COMMAND` is missing. */
  about: string;
}

/** A registry of built-in plugins by type name, each imported lazily. */
export type PluginRegistry = Readonly<Record<string, () => Promise<PluginFns>>>;
