/**
 * IP address text, parsed and printed once for the whole code base, with Go's `net.ParseIP`
 * rules (dotted IPv4 without leading zeros, IPv6 with at most one `::` standing for at least
 * one zero group, an optional dotted IPv4 tail, no zones) and RFC 5952 output. Pure: the
 * netlink codec, the CNI schemas and the plugins all build on these three functions.
 *
 * @module
 */

const IPV4_PART_REGEXP = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP_REGEXP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses dotted IPv4 text.
 *
 * @param text E.g. `"10.22.0.1"`.
 * @returns The 4 bytes, or `undefined` when the text is not an IPv4 address.
 */
export function parseIPv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!IPV4_PART_REGEXP.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/**
 * Parses IPv6 text (`fd00::1`, `::ffff:10.0.0.1`, ...).
 *
 * @param text The address text.
 * @returns The 16 bytes, or `undefined` when the text is not an IPv6 address.
 */
export function parseIPv6Bytes(text: string): Uint8Array | undefined {
  if (!text.includes(":") || text.includes("%")) return undefined;
  let head = text;
  let tail = "";
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    if (text.indexOf("::", dbl + 1) >= 0) return undefined;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (part: string, last: boolean): number[] | undefined => {
    if (part === "") return [];
    const pieces = part.split(":");
    const out: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (last && i === pieces.length - 1 && p.includes(".")) {
        const v4 = parseIPv4Bytes(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!HEX_GROUP_REGEXP.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const h = groups(head, dbl < 0);
  const t = dbl >= 0 ? groups(tail, true) : [];
  if (!h || !t) return undefined;
  let words: number[];
  if (dbl >= 0) {
    const fill = 8 - h.length - t.length;
    if (fill < 1) return undefined;
    words = [...h, ...new Array<number>(fill).fill(0), ...t];
  } else {
    if (h.length !== 8) return undefined;
    words = h;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/**
 * Prints 16 address bytes as RFC 5952 text: lower-case hex, the longest run of two or more
 * zero groups (the first on a tie) compressed to `::`. No IPv4-mapped special form: callers
 * that print those as dotted IPv4 (Go) or `::ffff:a.b.c.d` (iproute2) decide before calling.
 *
 * @param bytes 16 bytes.
 * @returns The text.
 */
export function formatIPv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/**
 * Whether 16 address bytes are IPv4-mapped (`::ffff:a.b.c.d`, Go's `To4() != nil`).
 *
 * @param bytes 16 bytes.
 * @returns True for `::ffff:0:0/96`.
 */
export function isIPv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
