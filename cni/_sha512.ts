/**
 * Synchronous SHA-512 in plain TypeScript (FIPS 180-4), for the few short strings the reference
 * hashes (iptables chain names, nft comments, cnitool container IDs). It replaces
 * `node:crypto`, whose import loads Deno's Node compatibility layer at every plugin start.
 *
 * @module
 */

const MASK = (1n << 64n) - 1n;
let tables: { k: bigint[]; h: bigint[] } | undefined;

function iroot(n: bigint, k: bigint): bigint {
  // Integer k-th root by Newton's method.
  let x = 1n << (BigInt(n.toString(2).length) / k + 1n);
  for (;;) {
    const y = ((k - 1n) * x + n / x ** (k - 1n)) / k;
    if (y >= x) return x;
    x = y;
  }
}

function primes(count: number): bigint[] {
  const out: bigint[] = [];
  for (let n = 2; out.length < count; n++) {
    if (out.every((p) => n % Number(p) !== 0)) out.push(BigInt(n));
  }
  return out;
}

function init(): { k: bigint[]; h: bigint[] } {
  // The constants are the fractional parts of square / cube roots of the first primes.
  const ps = primes(80);
  const k = ps.map((p) => iroot(p << 192n, 3n) & MASK);
  const h = ps.slice(0, 8).map((p) => iroot(p << 128n, 2n) & MASK);
  return { k, h };
}

function rotr(x: bigint, n: bigint): bigint {
  return ((x >> n) | (x << (64n - n))) & MASK;
}

/**
 * SHA-512 digest.
 *
 * @param data Bytes or text (UTF-8).
 * @returns The 64-byte digest.
 */
export function sha512(data: Uint8Array | string): Uint8Array {
  const { k, h: h0 } = tables ??= init();
  const msg = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const len = Math.ceil((msg.length + 17) / 128) * 128;
  const buf = new Uint8Array(len);
  buf.set(msg);
  buf[msg.length] = 0x80;
  const view = new DataView(buf.buffer);
  view.setBigUint64(len - 8, BigInt(msg.length) * 8n);
  const h = [...h0];
  const w = new Array<bigint>(80);
  for (let off = 0; off < len; off += 128) {
    for (let t = 0; t < 16; t++) w[t] = view.getBigUint64(off + t * 8);
    for (let t = 16; t < 80; t++) {
      const a = w[t - 15]!, b = w[t - 2]!;
      const s0 = rotr(a, 1n) ^ rotr(a, 8n) ^ (a >> 7n);
      const s1 = rotr(b, 19n) ^ rotr(b, 61n) ^ (b >> 6n);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) & MASK;
    }
    let [a, b, c, d, e, f, g, hh] = h as [
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
    ];
    for (let t = 0; t < 80; t++) {
      const s1 = rotr(e, 14n) ^ rotr(e, 18n) ^ rotr(e, 41n);
      const ch = (e & f) ^ (~e & MASK & g);
      const t1 = (hh + s1 + ch + k[t]! + w[t]!) & MASK;
      const s0 = rotr(a, 28n) ^ rotr(a, 34n) ^ rotr(a, 39n);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) & MASK;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) & MASK;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) & MASK;
    }
    const add = [a, b, c, d, e, f, g, hh];
    for (let i = 0; i < 8; i++) h[i] = (h[i]! + add[i]!) & MASK;
  }
  const out = new Uint8Array(64);
  const ov = new DataView(out.buffer);
  h.forEach((v, i) => ov.setBigUint64(i * 8, v));
  return out;
}

/**
 * SHA-512 digest as lowercase hex.
 *
 * @param data Bytes or text (UTF-8).
 * @returns 128 hex digits.
 */
export function sha512Hex(data: Uint8Array | string): string {
  return Array.from(sha512(data), (b) => b.toString(16).padStart(2, "0")).join("");
}
