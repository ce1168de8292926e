/**
 * The plugin side of the protocol as a pure function, after the reference `pkg/skel`:
 * `runPlugin(fns, { env, stdin })` validates the `CNI_*` variables and the stdin config,
 * answers VERSION, gates verbs by config version, calls the plugin and returns what a plugin
 * process would print and its exit code. Only `cli.ts` binds it to the real process.
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import type { CmdArgs, Delegate, PluginContext, PluginFns } from "./plugin.ts";
import {
  type CniCommand,
  CURRENT_VERSION,
  NAME_REGEXP,
  type NetConf,
  type Result,
  SUPPORTED_VERSIONS,
} from "./types.ts";
import { goMarshal } from "./_json.ts";

// version.ts (result parsing and conversion) brings in zod: it is imported by the calls that
// need it, so that answering VERSION or printing the about text loads no schema code.
type ResultsModule = typeof import("./results/mod.ts");
type VersionModule = typeof import("./version.ts");

/** What a plugin process gets. */
export interface SkelIo {
  /** The process environment (only `CNI_*` variables are read). */
  env: Readonly<Record<string, string | undefined>>;
  /** Everything on stdin (ignored for VERSION). */
  stdin: Uint8Array;
}

/** What a plugin process would print, and its exit code. */
export interface SkelOutput {
  /** Standard output: a result, the VERSION answer or an error object. */
  stdout: string;
  /** Standard error: the about text, or nothing. */
  stderr: string;
  /** 0 on success, 1 on error. */
  exitCode: number;
}

/** Options for {@linkcode runPlugin}. */
export interface SkelOptions {
  /** Runs delegated (IPAM) plugins; without it, delegation fails with code 999. */
  delegate?: Delegate;
  /**
   * Whether a `CNI_NETNS` path is the plugin's own network namespace (reference skel error 8
   * unless `CNI_NETNS_OVERRIDE`). Throwing means "cannot tell" and skips the check. Without
   * it the check is skipped.
   */
  isOwnNetns?: (path: string) => boolean;
  /**
   * The plugin runs inside the runtime's process (the in-process invoker): `CNI_PATH` is not
   * required, since there is no binary to search for; a delegate that must exec a plugin
   * still fails clearly when the path is empty. An exec'd plugin keeps the spec's rule.
   */
  inProcess?: boolean;
}

/** Validator of a present, required variable; returns an error or undefined. */
type EnvValidator = (value: string) => CniError | undefined;

interface EnvVarSpec {
  name: string;
  field: keyof EnvValues;
  requiredFor: readonly string[];
  validate?: EnvValidator;
}

interface EnvValues {
  command: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  netnsOverride: string;
}

/**
 * Validates a container ID like `pkg/utils.ValidateContainerID`.
 *
 * @param id The container ID.
 * @returns `undefined` when valid, else the error (code 3 when empty, 4 when malformed).
 */
export function validateContainerId(id: string): CniError | undefined {
  if (id === "") return new CniError(ErrorCode.UnknownContainer, "missing containerID");
  if (!NAME_REGEXP.test(id)) {
    return new CniError(
      ErrorCode.InvalidEnvironmentVariables,
      "invalid characters in containerID",
      {
        details: id,
      },
    );
  }
  return undefined;
}

/**
 * Validates a network name like `pkg/utils.ValidateNetworkName`.
 *
 * @param name The network name.
 * @returns `undefined` when valid, else a code 7 error.
 */
export function validateNetworkName(name: string): CniError | undefined {
  if (name === "") return new CniError(ErrorCode.InvalidNetworkConfig, "missing network name");
  if (!NAME_REGEXP.test(name)) {
    return new CniError(
      ErrorCode.InvalidNetworkConfig,
      "invalid characters found in network name",
      { details: name },
    );
  }
  return undefined;
}

const IFNAME_BAD_CHAR_REGEXP = /[/:\u0085]|[^\S\uFEFF]/u;

/**
 * Validates an interface name like `pkg/utils.ValidateInterfaceName`: 1-15 bytes, not `.`
 * or `..`, no `/`, `:` or whitespace.
 *
 * @param name The interface name.
 * @returns `undefined` when valid, else a code 4 error.
 */
export function validateInterfaceName(name: string): CniError | undefined {
  const code = ErrorCode.InvalidEnvironmentVariables;
  if (name === "") return new CniError(code, "interface name is empty");
  if (new TextEncoder().encode(name).length > 15) {
    return new CniError(code, "interface name is too long", {
      details: "interface name should be less than 16 characters",
    });
  }
  if (name === "." || name === "..") return new CniError(code, "interface name is . or ..");
  if (IFNAME_BAD_CHAR_REGEXP.test(name)) {
    return new CniError(code, "interface name contains / or : or whitespace characters");
  }
  return undefined;
}

/** The reference skel's table: variable, commands requiring it, validator. */
const ENV_TABLE: readonly EnvVarSpec[] = [
  {
    name: "CNI_COMMAND",
    field: "command",
    requiredFor: ["ADD", "CHECK", "DEL", "GC", "STATUS", "VERSION"],
  },
  {
    name: "CNI_CONTAINERID",
    field: "containerId",
    requiredFor: ["ADD", "CHECK", "DEL"],
    validate: validateContainerId,
  },
  { name: "CNI_NETNS", field: "netns", requiredFor: ["ADD", "CHECK"] },
  {
    name: "CNI_IFNAME",
    field: "ifName",
    requiredFor: ["ADD", "CHECK", "DEL"],
    validate: validateInterfaceName,
  },
  { name: "CNI_ARGS", field: "args", requiredFor: [] },
  { name: "CNI_PATH", field: "path", requiredFor: ["ADD", "CHECK", "DEL", "GC", "STATUS"] },
  { name: "CNI_NETNS_OVERRIDE", field: "netnsOverride", requiredFor: [] },
];

function readEnv(env: SkelIo["env"], inProcess: boolean): EnvValues {
  const values: EnvValues = {
    command: "",
    containerId: "",
    netns: "",
    ifName: "",
    args: "",
    path: "",
    netnsOverride: "",
  };
  const missing: string[] = [];
  for (const spec of ENV_TABLE) {
    const value = env[spec.name] ?? "";
    values[spec.field] = value;
    const required = spec.field === "command" ||
      (spec.requiredFor.includes(values.command) && !(inProcess && spec.field === "path"));
    if (value === "") {
      if (required) missing.push(spec.name);
    } else if (required && spec.validate) {
      const err = spec.validate(value);
      if (err) throw err;
    }
  }
  if (missing.length > 0) {
    throw new CniError(
      ErrorCode.InvalidEnvironmentVariables,
      `required env variables [${missing.join(",")}] missing`,
    );
  }
  return values;
}

/**
 * The spec error object, 4-space indented like the reference prints it, no trailing newline:
 * `cniVersion`, `code`, `msg` and `details` when there are any. The spec's error object
 * carries `cniVersion` (the reference 1.1 plugins leave it out; libcni reads both).
 *
 * @param err The error.
 * @param cniVersion The version to label it with (default: the error's own, else the newest
 *   supported).
 * @returns The text.
 */
export function formatErrorJson(err: CniError, cniVersion?: string): string {
  const obj: Record<string, unknown> = {
    cniVersion: cniVersion ?? err.cniVersion ?? CURRENT_VERSION,
    code: err.code,
    msg: err.msg,
  };
  if (err.details) obj.details = err.details;
  return goMarshal(obj, { indent: "    " });
}

/**
 * The version a plugin's error is labelled with: the config's `cniVersion` (absent or empty
 * is 0.1.0) when it is one this implementation supports, else the newest supported (the
 * config could not be read, or names a version we do not speak).
 *
 * @param stdin The config bytes the plugin was given (may be empty).
 * @returns The version.
 */
export function errorVersion(stdin: Uint8Array): string {
  if (stdin.length === 0) return CURRENT_VERSION;
  try {
    const conf = JSON.parse(new TextDecoder().decode(stdin)) as unknown;
    if (conf !== null && typeof conf === "object" && !Array.isArray(conf)) {
      const v = (conf as { cniVersion?: unknown }).cniVersion;
      const version = v === undefined || v === null || v === "" ? "0.1.0" : v;
      if (typeof version === "string" && SUPPORTED_VERSIONS.includes(version)) return version;
    }
  } catch {
    // not JSON: the newest version
  }
  return CURRENT_VERSION;
}

/**
 * What a plugin process prints for an error: the spec's error JSON on stdout (labelled by
 * {@linkcode errorVersion}), exit code 1. A `CniError` keeps its code; anything else becomes
 * code 999 with its message in `details`.
 *
 * @param err What was thrown.
 * @param stdin The config bytes the plugin was given (for the version), if any.
 * @returns The output.
 */
export function errorOutput(err: unknown, stdin: Uint8Array = new Uint8Array()): SkelOutput {
  const cni = err instanceof CniError ? err : new CniError(ErrorCode.Internal, "internal error", {
    details: err instanceof Error ? err.message : String(err),
    cause: err,
  });
  return { stdout: formatErrorJson(cni, errorVersion(stdin)), stderr: "", exitCode: 1 };
}

/**
 * The VERSION answer: `{"cniVersion":"1.1.0","supportedVersions":[...]}` and a newline.
 *
 * @param supported The plugin's supported versions.
 * @returns The text.
 */
export function formatVersionInfo(supported: readonly string[]): string {
  // The shape of version.ts `versionInfoJson` (Go skel's PluginInfo), built here so that
  // VERSION does not load version.ts.
  return goMarshal({ cniVersion: CURRENT_VERSION, supportedVersions: [...supported] }) + "\n";
}

function parseStdinConfig(stdin: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(stdin));
  } catch (err) {
    throw new CniError(ErrorCode.DecodingFailure, "error unmarshall network config", {
      details: err instanceof Error ? err.message : String(err),
    });
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new CniError(ErrorCode.DecodingFailure, "error unmarshall network config", {
      details: `expected a JSON object, got ${json === null ? "null" : typeof json}`,
    });
  }
  const conf = json as Record<string, unknown>;
  if (conf.name === null) delete conf.name; // JSON null is absent, as in Go
  if (conf.name !== undefined && typeof conf.name !== "string") {
    throw new CniError(ErrorCode.DecodingFailure, "error unmarshall network config", {
      details: `field "name": expected a string, got ${typeof conf.name}`,
    });
  }
  const nameErr = validateNetworkName((conf.name as string | undefined) ?? "");
  if (nameErr) throw nameErr;
  return conf;
}

const NO_DELEGATE: Delegate = {
  add: noDelegate,
  check: noDelegate,
  del: noDelegate,
};

function noDelegate(type: string): Promise<never> {
  return Promise.reject(
    new CniError(ErrorCode.Internal, `cannot delegate to plugin "${type}": no delegate configured`),
  );
}

/**
 * The config the plugin gets: `cniVersion` defaulted, and `prevResult` in the current shape.
 * The conversion runs when the plugin first reads `prevResult` (the property then becomes
 * plain data): a plugin that never reads it (loopback or host-local on DEL) does not pay for
 * result parsing, and, like the reference's skel, does not fail on a prevResult it ignores.
 * A plugin that reads a bad one gets code 6 `could not parse prevResult` from the read,
 * except on DEL: a DEL is best effort and uses what it can, so there an unusable
 * `prevResult` reads as absent and the plugin cleans up from the container ID, interface and
 * network name.
 */
function prepareConfig(
  conf: Record<string, unknown>,
  version: string,
  toCurrentResult: ResultsModule["toCurrentResult"],
  command: CniCommand,
): NetConf {
  const out = { ...conf, cniVersion: version } as NetConf;
  const prev = conf.prevResult;
  if (prev === undefined || prev === null) return out;
  const lenient = command === "DEL";
  if (typeof prev !== "object" || Array.isArray(prev)) {
    if (lenient) {
      delete out.prevResult;
      return out;
    }
    throw new CniError(ErrorCode.DecodingFailure, "could not parse prevResult", {
      details: "expected a JSON object",
    });
  }
  const settle = (value: unknown): void => {
    Object.defineProperty(out, "prevResult", {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  };
  Object.defineProperty(out, "prevResult", {
    enumerable: true,
    configurable: true,
    get() {
      const labelled = { ...(prev as Record<string, unknown>) };
      if (labelled.cniVersion === undefined || labelled.cniVersion === "") {
        labelled.cniVersion = version;
      }
      let converted: Result | undefined;
      try {
        converted = toCurrentResult(labelled);
      } catch (err) {
        if (lenient) {
          settle(undefined);
          return undefined;
        }
        throw new CniError(ErrorCode.DecodingFailure, "could not parse prevResult", {
          details: err instanceof Error ? err.message : String(err),
          cause: err,
        });
      }
      settle(converted);
      return converted;
    },
    set: settle,
  });
  return out;
}

let modulesOfCalls: Promise<[VersionModule, ResultsModule]> | undefined;

/**
 * The modules a call needs beyond VERSION, imported on the first call (so VERSION loads
 * neither) and kept: an in-process engine calls many plugins, and each `import()` of a module
 * already loaded still costs a module-map lookup and a promise chain.
 */
function callModules(): Promise<[VersionModule, ResultsModule]> {
  if (!modulesOfCalls) {
    modulesOfCalls = Promise.all([import("./version.ts"), import("./results/mod.ts")]);
    modulesOfCalls.catch(() => modulesOfCalls = undefined); // a failed import is tried again
  }
  return modulesOfCalls;
}

async function dispatch(
  fns: PluginFns,
  io: SkelIo,
  options: SkelOptions,
): Promise<SkelOutput> {
  const env = readEnv(io.env, options.inProcess ?? false);
  const command = env.command;
  if (command === "VERSION") {
    return { stdout: formatVersionInfo(fns.supportedVersions), stderr: "", exitCode: 0 };
  }
  const raw = parseStdinConfig(io.stdin);
  const known = ["ADD", "DEL", "CHECK", "GC", "STATUS"];
  if (!known.includes(command)) {
    throw new CniError(ErrorCode.InvalidEnvironmentVariables, `unknown CNI_COMMAND: ${command}`);
  }
  const [{ checkCommandVersion, decodeVersion }, { convertResult, toCurrentResult }] =
    await callModules();
  const version = decodeVersion(raw);
  checkCommandVersion(command as CniCommand, version, { supported: fns.supportedVersions });

  if ((command === "ADD" || command === "DEL") && options.isOwnNetns && env.netns !== "") {
    const override = env.netnsOverride.toLowerCase();
    if (override !== "1" && override !== "true") {
      let own = false;
      try {
        own = options.isOwnNetns(env.netns);
      } catch {
        own = false; // unopenable CNI_NETNS: the reference skips the check
      }
      if (own) {
        throw new CniError(
          ErrorCode.InvalidNetNs,
          "plugin's netns and netns from CNI_NETNS should not be the same",
        );
      }
    }
  }

  const args: CmdArgs = {
    command: command as CniCommand,
    containerId: env.containerId,
    netns: env.netns,
    ifName: env.ifName,
    args: env.args,
    path: env.path,
    stdinData: io.stdin,
    config: prepareConfig(raw, version, toCurrentResult, command as CniCommand),
  };
  if (env.netnsOverride !== "") args.netnsOverride = env.netnsOverride;
  const ctx: PluginContext = {
    delegate: options.delegate ?? NO_DELEGATE,
    env: Object.fromEntries(
      Object.entries(io.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  };

  switch (command) {
    case "ADD": {
      const result: Result = await fns.add(args, ctx);
      const converted = convertResult(result, version);
      return { stdout: goMarshal(converted, { indent: "    " }), stderr: "", exitCode: 0 };
    }
    case "DEL":
      await fns.del(args, ctx);
      break;
    case "CHECK":
      await fns.check(args, ctx);
      break;
    case "GC":
      if (fns.gc) await fns.gc(args, ctx);
      break;
    case "STATUS":
      if (fns.status) await fns.status(args, ctx);
      break;
  }
  return { stdout: "", stderr: "", exitCode: 0 };
}

/**
 * Runs a plugin for one call, as the reference `skel.PluginMainFuncs` would in a process:
 * reads the `CNI_*` variables from `io.env` (all missing ones reported at once, code 4),
 * prints the about text when `CNI_COMMAND` is unset, answers VERSION, checks the stdin config
 * (code 6 when not JSON, 7 for a missing or bad `name`), checks its `cniVersion` against the
 * plugin's supported versions (code 1; CHECK needs 0.4.0, GC and STATUS 1.1.0), calls the
 * plugin with `prevResult` in the current result shape (converted when the plugin first reads
 * it; code 6 from that read when it does not parse) and converts its result to the config's
 * version. Errors become the spec's error JSON on stdout with exit code 1: a
 * `CniError` keeps its code, anything else becomes code 999 with its message in `details`.
 *
 * @example VERSION
 * ```ts
 * import { runPlugin } from "./skel.ts";
 * const fns = {
 *   add: () => Promise.reject(new Error("unused")),
 *   check: () => Promise.resolve(),
 *   del: () => Promise.resolve(),
 *   supportedVersions: ["1.0.0", "1.1.0"],
 *   about: "CNI plugin demo v0.1.0",
 * };
 * const out = await runPlugin(fns, { env: { CNI_COMMAND: "VERSION" }, stdin: new Uint8Array() });
 * console.log(out.stdout); // {"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}
 * ```
 *
 * @param fns The plugin.
 * @param io Environment and stdin.
 * @param options Delegate for IPAM, own-netns check.
 * @returns stdout, stderr and the exit code; never throws for plugin or input errors.
 */
export async function runPlugin(
  fns: PluginFns,
  io: SkelIo,
  options: SkelOptions = {},
): Promise<SkelOutput> {
  try {
    return await dispatch(fns, io, options);
  } catch (err) {
    if (
      err instanceof CniError && err.code === ErrorCode.InvalidEnvironmentVariables &&
      !io.env.CNI_COMMAND && fns.about
    ) {
      return {
        stdout: "",
        stderr: `${fns.about}\nCNI protocol versions supported: ${
          fns.supportedVersions.join(", ")
        }\n`,
        exitCode: 0,
      };
    }
    return errorOutput(err, io.stdin);
  }
}
