/**
 * host-local's ranges: a range as configured, filled in with the reference's defaults and
 * checked more strictly (bounds, network and broadcast addresses, gateway), range sets
 * (non-empty, one family, no overlap), containment and the reference's text form.
 *
 * Pure: no file system access.
 *
 * @module
 */
import { CniError, ErrorCode } from "../../cni/errors.ts";
import {
  addIp,
  bitsOf,
  type Cidr,
  cidrContains,
  compareIp,
  formatCidr,
  formatIp,
  type IpAddr,
  ipEquals,
  lastOf,
  networkOf,
  parseCidrLiteral,
  parseIp,
  unmapCidr,
} from "../../ip/mod.ts";

/**
 * A subnet as `ip/`'s `parseCidr` reads it, except IPv4-mapped text with a 128-bit mask, which
 * the reference accepts at parse time and then fails (`IPNet IP and Mask version mismatch`).
 */
export function parseSubnet(text: string): Cidr | undefined {
  const c = parseCidrLiteral(text);
  return c && unmapCidr(c) === c ? c : undefined;
}

/** A range as configured: text, before defaults and checks. */
export interface RawRange {
  /** The subnet (CIDR). */
  subnet: string;
  /** First allocatable address. */
  rangeStart?: string | undefined;
  /** Last allocatable address. */
  rangeEnd?: string | undefined;
  /** Gateway. */
  gateway?: string | undefined;
}

/** One canonical range: every bound filled in and checked. */
export interface Range {
  /** The subnet, network address (host bits cleared) and prefix. */
  subnet: Cidr;
  /** First allocatable address, inclusive. */
  rangeStart: IpAddr;
  /** Last allocatable address, inclusive. */
  rangeEnd: IpAddr;
  /** Gateway (skipped by the allocator); absent only for /31, /32, /127, /128 subnets. */
  gateway?: IpAddr;
}

/** A range set: one address per ADD comes from each set. */
export type RangeSet = Range[];

/**
 * A code 7 error (invalid network configuration).
 *
 * @param msg The message.
 * @returns The error.
 */
export function configError(msg: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg);
}

/**
 * Prints a range as the reference does in messages: `start-end`.
 *
 * @param r The range.
 * @returns `start-end`.
 */
export function rangeToString(r: Range): string {
  return `${formatIp(r.rangeStart)}-${formatIp(r.rangeEnd)}`;
}

/**
 * Prints a range set as the reference does: ranges joined with `,`.
 *
 * @param set The range set.
 * @returns The text.
 */
export function rangeSetToString(set: RangeSet): string {
  return set.map(rangeToString).join(",");
}

/** An optional address field: absent or empty is `undefined`. */
export function optionalIP(text: string | undefined): IpAddr | undefined {
  return text === undefined || text === "" ? undefined : parseIp(text);
}

/**
 * Fills in a range's defaults as the reference does (`gateway` = network+1, `rangeStart` =
 * network+1, `rangeEnd` = last address, minus one for IPv4) and checks it more strictly than
 * the reference: bounds inside the subnet, `rangeStart <= rangeEnd`, network and broadcast
 * addresses refused (except in /31 and /32, where every address is usable and there is no
 * default gateway), gateway inside the subnet.
 *
 * @param raw The range as configured.
 * @param field The field path for messages, e.g. `ipam.ranges[0][1]`.
 * @returns The canonical range.
 * @throws {CniError} Code 7 naming the field.
 */
export function canonicalizeRange(raw: RawRange, field: string): Range {
  const parsed = parseSubnet(raw.subnet);
  if (!parsed) throw configError(`field "${field}.subnet": invalid CIDR ${raw.subnet}`);
  const family = parsed.ip.family;
  const bits = bitsOf(family);
  const subnet = networkOf(parsed);
  const subnetText = formatCidr(subnet);
  if (compareIp(subnet.ip, parsed.ip) !== 0) {
    throw configError(
      `field "${field}.subnet": Network has host bits set. For a subnet mask of length ${parsed.prefix} the network address is ${
        formatIp(subnet.ip)
      }`,
    );
  }
  const pointToPoint = parsed.prefix >= bits - 1;
  const first = subnet.ip;
  const last = lastOf(subnet);
  const check = (key: string, ip: IpAddr) => {
    const label = `field "${field}.${key}": ${key} ${formatIp(ip)}`;
    if (!cidrContains(subnet, ip)) throw configError(`${label} not in network ${subnetText}`);
    if (pointToPoint) return;
    if (ipEquals(ip, first)) throw configError(`${label} is the network address of ${subnetText}`);
    if (family === 4 && ipEquals(ip, last)) {
      throw configError(`${label} is the broadcast address of ${subnetText}`);
    }
  };
  let gateway = optionalIP(raw.gateway);
  if (gateway) check("gateway", gateway);
  else if (!pointToPoint) gateway = addIp(first, 1n);
  let rangeStart = optionalIP(raw.rangeStart);
  if (rangeStart) check("rangeStart", rangeStart);
  else rangeStart = pointToPoint ? first : addIp(first, 1n);
  let rangeEnd = optionalIP(raw.rangeEnd);
  if (rangeEnd) check("rangeEnd", rangeEnd);
  else rangeEnd = family === 4 && !pointToPoint ? addIp(last, -1n) : last;
  if (compareIp(rangeStart, rangeEnd) > 0) {
    throw configError(
      `field "${field}.rangeStart": rangeStart ${formatIp(rangeStart)} is after rangeEnd ${
        formatIp(rangeEnd)
      }`,
    );
  }
  const out: Range = { subnet, rangeStart, rangeEnd };
  if (gateway) out.gateway = gateway;
  return out;
}

/**
 * Whether a range contains an address (same family, inside the subnet, between the bounds).
 *
 * @param r The range.
 * @param ip The address.
 * @returns `true` when inside.
 */
export function rangeContains(r: Range, ip: IpAddr): boolean {
  return cidrContains(r.subnet, ip) && compareIp(ip, r.rangeStart) >= 0 &&
    compareIp(ip, r.rangeEnd) <= 0;
}

/** Whether two ranges of the same family share an address. */
export function rangesOverlap(a: Range, b: Range): boolean {
  if (a.rangeStart.family !== b.rangeStart.family) return false;
  return compareIp(a.rangeStart, b.rangeEnd) <= 0 && compareIp(b.rangeStart, a.rangeEnd) <= 0;
}

/**
 * Canonicalizes a range set: every range, one family, no overlap.
 *
 * @param raw The ranges as configured.
 * @param index The set's index, for messages.
 * @param field The field path, for messages.
 * @returns The set.
 * @throws {CniError} Code 7 naming the set and the field.
 */
export function canonicalizeSet(raw: RawRange[], index: number, field: string): RangeSet {
  const fail = (msg: string) => configError(`invalid range set ${index}: ${msg}`);
  if (raw.length === 0) throw fail(`field "${field}": empty range set`);
  const set: RangeSet = [];
  for (const [i, r] of raw.entries()) {
    try {
      set.push(canonicalizeRange(r, `${field}[${i}]`));
    } catch (err) {
      if (err instanceof CniError) throw fail(err.msg);
      throw err;
    }
    if (set[i]!.rangeStart.family !== set[0]!.rangeStart.family) {
      throw fail(`field "${field}[${i}]": mixed address families`);
    }
  }
  for (let i = 0; i < set.length; i++) {
    for (let j = i + 1; j < set.length; j++) {
      if (rangesOverlap(set[i]!, set[j]!)) {
        throw fail(
          `field "${field}[${j}]": subnets ${rangeToString(set[i]!)} and ${
            rangeToString(set[j]!)
          } overlap`,
        );
      }
    }
  }
  return set;
}

/**
 * Canonicalizes the legacy single range (fields directly under `ipam`).
 *
 * @param raw The range.
 * @param index The set's index, for messages.
 * @returns The set of that one range.
 * @throws {CniError} Code 7.
 */
export function canonicalizeLegacy(raw: RawRange, index: number): RangeSet {
  try {
    return [canonicalizeRange(raw, "ipam")];
  } catch (err) {
    if (err instanceof CniError) {
      throw configError(`invalid range set ${index}: ${err.msg}`);
    }
    throw err;
  }
}
