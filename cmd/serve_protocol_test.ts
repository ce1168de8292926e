import { assert, assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  decodeRequest,
  decodeResult,
  encodeRequest,
  encodeResult,
  MAX_HEADER_BYTES,
  MAX_STDIN_BYTES,
  PROTOCOL_VERSION,
} from "./serve_protocol.ts";
import { MAX_CONFIG_BYTES } from "../cni/read_bounded.ts";

const STDIN = new TextEncoder().encode('{"cniVersion":"1.0.0","name":"n","type":"loopback"}');

Deno.test("encodeRequest()/decodeRequest() round-trip plugin, env and stdin byte for byte", () => {
  const header = { plugin: "bridge", env: { CNI_COMMAND: "ADD", PATH: "/bin", EMPTY: "" } };
  const raw = new Uint8Array([0, 255, 10, 13, 0xc3]); // not UTF-8: kept as bytes
  for (const stdin of [STDIN, raw, new Uint8Array()]) {
    const got = decodeRequest(encodeRequest(header, stdin));
    assert(got.kind === "request", JSON.stringify(got));
    assertEquals(got.header, header);
    assertEquals(Array.from(got.stdin), Array.from(stdin));
  }
});

Deno.test("decodeRequest() is partial for every prefix of a request", () => {
  const bytes = encodeRequest({ plugin: "loopback", env: { A: "b" } }, STDIN);
  for (let n = 0; n < bytes.length; n++) {
    assertEquals(decodeRequest(bytes.subarray(0, n)).kind, "partial", `prefix of ${n} bytes`);
  }
});

Deno.test("decodeRequest() refuses other magic, versions, sizes, trailing bytes, headers", () => {
  const good = encodeRequest({ plugin: "loopback", env: {} }, STDIN);
  const reason = (b: Uint8Array) => {
    const d = decodeRequest(b);
    return d.kind === "invalid" ? d.reason : d.kind;
  };
  assertEquals(reason(new TextEncoder().encode("GET / HTTP/1.1\r\n")), "not a denocni request");
  const v2 = good.slice();
  v2[4] = PROTOCOL_VERSION + 1;
  assertEquals(reason(v2), `protocol version ${PROTOCOL_VERSION + 1}`);
  const big = good.slice(0, 9);
  new DataView(big.buffer).setUint32(5, MAX_HEADER_BYTES + 1);
  assertEquals(reason(big), "header too large");
  const header = new TextEncoder().encode(JSON.stringify({ plugin: "x", env: {} }));
  const hugeStdin = new Uint8Array(9 + header.length + 4);
  hugeStdin.set(good.subarray(0, 5));
  new DataView(hugeStdin.buffer).setUint32(5, header.length);
  hugeStdin.set(header, 9);
  new DataView(hugeStdin.buffer).setUint32(9 + header.length, MAX_STDIN_BYTES + 1);
  assertEquals(reason(hugeStdin), "stdin too large");
  const trailing = new Uint8Array(good.length + 1);
  trailing.set(good);
  assertEquals(reason(trailing), "trailing bytes");
  const envNotStrings = encodeRequest({ plugin: "x", env: { A: 1 as unknown as string } }, STDIN);
  assertEquals(reason(envNotStrings), "bad header");
});

Deno.test("encodeResult()/decodeResult() round-trip; partial is undefined; junk throws", () => {
  const result = { stdout: '{"cniVersion":"1.0.0"}', stderr: "note\n", exitCode: 1 };
  const bytes = encodeResult(result);
  assertEquals(decodeResult(bytes), result);
  for (let n = 0; n < bytes.length; n++) {
    assertEquals(decodeResult(bytes.subarray(0, n)), undefined);
  }
  const notResult = encodeResult(
    { stdout: 1, stderr: "", exitCode: 0 } as unknown as typeof result,
  );
  assertThrows(() => decodeResult(notResult), RangeError, "not a call result");
  const extra = new Uint8Array(bytes.length + 1);
  extra.set(bytes);
  assertThrows(() => decodeResult(extra), RangeError, "trailing bytes");
});

Deno.test("MAX_STDIN_BYTES is the cap a plugin process reads its configuration with", () => {
  assertEquals(MAX_STDIN_BYTES, MAX_CONFIG_BYTES);
});
