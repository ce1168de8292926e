/**
 * The names the spec constrains, checked like the reference's `pkg/utils`: container ID,
 * network name, interface name.
 *
 * @module
 */
import { CniError, ErrorCode } from "./errors.ts";
import { NAME_REGEXP } from "./types.ts";

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
