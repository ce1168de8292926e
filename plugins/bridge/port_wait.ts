/**
 * Waiting for the bridge port (the host end of the veth pair) to be oper-up, as the
 * reference does before it reads the port's MAC for the result.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import { type Link, linkGet, type NetlinkSocket } from "../../netlink/mod.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for the host port to be oper-up: looks after 0, 50, 500, 1000 and 1000 ms, as the
 * reference does.
 *
 * @param host Host socket.
 * @param port The host veth.
 * @returns The port as last read.
 * @throws {CniError} Code 999 `bridge port in error state: <state>`.
 */
export async function waitPortUp(host: NetlinkSocket, port: Link): Promise<Link> {
  const retries = [0, 50, 500, 1000, 1000];
  let last = port;
  for (const ms of retries) {
    if (ms > 0) await sleep(ms);
    last = linkGet(host, { index: port.index });
    if (last.operState === "UP") return last;
  }
  throw new CniError(
    ErrorCode.Internal,
    `bridge port in error state: ${(last.operState ?? "unknown").toLowerCase()}`,
  );
}
