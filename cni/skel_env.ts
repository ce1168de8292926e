/**
 * The `CNI_*` variables as the reference skel reads them: a table of variable, commands
 * requiring it and validator, every missing one reported at once (code 4).
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import { validateContainerId, validateInterfaceName } from "./names.ts";
import type { SkelIo } from "./skel.ts";

/** Validator of a present, required variable; returns an error or undefined. */
type EnvValidator = (value: string) => CniError | undefined;

interface EnvVarSpec {
  name: string;
  field: keyof EnvValues;
  requiredFor: readonly string[];
  validate?: EnvValidator;
}

/** The `CNI_*` values, `""` when unset. */
export interface EnvValues {
  command: string;
  containerId: string;
  netns: string;
  ifName: string;
  args: string;
  path: string;
  netnsOverride: string;
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

/**
 * Reads and checks the `CNI_*` variables for the command in `CNI_COMMAND`.
 *
 * @param env The environment.
 * @param inProcess `CNI_PATH` is not required (the in-process invoker).
 * @returns The values.
 * @throws {CniError} Code 4 naming every missing variable; a validator's error.
 */
export function readEnv(env: SkelIo["env"], inProcess: boolean): EnvValues {
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
