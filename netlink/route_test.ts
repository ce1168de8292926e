import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { decodeRtmsg, encodeRtmsg, parseRouteMessage } from "./route.ts";
import { nestedAttr, u32Attr } from "./codec.ts";
import { decodeMessages, encodeMessage } from "./message.ts";
import { bytesAttr } from "./codec.ts";
import {
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RTA_DST,
  RTA_METRICS,
  RTA_OIF,
  RTA_PRIORITY,
  RTA_TABLE,
  RTAX_MTU,
  RTM_NEWROUTE,
  RTPROT_BOOT,
  RTPROT_KERNEL,
} from "./constants.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { captured, hex } from "../tests/fixtures/netlink/fixtures.ts";

Deno.test("encodeRtmsg() golden bytes and decodeRtmsg() round trip", () => {
  const init = {
    family: 2,
    dstLen: 24,
    srcLen: 0,
    tos: 0,
    table: 254,
    protocol: 3,
    scope: 253,
    type: 1,
    flags: 0,
  };
  const b = encodeRtmsg(init);
  assertEquals(hex(b), "02180000" + "fe03fd01" + "00000000");
  assertEquals(decodeRtmsg(b, 0), [init, 12]);
  assertThrows(() => decodeRtmsg(b, 2), NetlinkDecodeError, "offset 2");
});

Deno.test("parseRouteMessage() reads the captured IPv4 routes", () => {
  const routes = captured("dumpRoutes4").replies.flatMap((d) => decodeMessages(d))
    .filter((m) => m.header.type === RTM_NEWROUTE)
    .map((m) => parseRouteMessage(m.payload)!);
  const main = routes.filter((r) => r.table === RT_TABLE_MAIN);
  const def = main.find((r) => r.dst === "0.0.0.0/0")!;
  assertEquals(def.gw, "10.77.0.1");
  assertEquals(def.protocol, RTPROT_BOOT);
  assertEquals(def.scope, RT_SCOPE_UNIVERSE);
  const connected = main.find((r) => r.dst === "10.77.0.0/24")!;
  assertEquals(connected.protocol, RTPROT_KERNEL);
  assertEquals(connected.scope, RT_SCOPE_LINK);
  assertEquals(connected.src, "10.77.0.2");
  assertEquals(connected.linkIndex, def.linkIndex);
  assertEquals(routes.some((r) => r.table === 255), true);
});

Deno.test("parseRouteMessage() reads the captured IPv6 routes", () => {
  const routes = captured("dumpRoutes6").replies.flatMap((d) => decodeMessages(d))
    .filter((m) => m.header.type === RTM_NEWROUTE)
    .map((m) => parseRouteMessage(m.payload)!);
  const r = routes.find((x) => x.dst === "fd77::/64" && x.table === RT_TABLE_MAIN)!;
  assertEquals(r.family, 6);
  assertEquals(r.metric, 256);
  assertEquals(r.protocol, RTPROT_KERNEL);
});

Deno.test("parseRouteMessage() reads table, metric and RTAX metrics; checks RTA_DST size", () => {
  const payload = encodeMessage({
    type: RTM_NEWROUTE,
    flags: 0,
    seq: 0,
    body: encodeRtmsg({ family: 2, dstLen: 8, table: 0, protocol: 3, scope: 253, type: 1 }),
    attrs: [
      bytesAttr(RTA_DST, Uint8Array.of(10, 0, 0, 0)),
      u32Attr(RTA_TABLE, 1000),
      u32Attr(RTA_OIF, 7),
      u32Attr(RTA_PRIORITY, 20),
      nestedAttr(RTA_METRICS, [u32Attr(RTAX_MTU, 1300)]),
    ],
  }).subarray(16);
  assertEquals(parseRouteMessage(payload), {
    family: 4,
    dst: "10.0.0.0/8",
    scope: 253,
    table: 1000,
    protocol: 3,
    type: 1,
    linkIndex: 7,
    metric: 20,
    mtu: 1300,
  });
  const bad = encodeMessage({
    type: RTM_NEWROUTE,
    flags: 0,
    seq: 0,
    body: encodeRtmsg({ family: 2, dstLen: 8 }),
    attrs: [bytesAttr(RTA_DST, new Uint8Array(16))],
  }).subarray(16);
  assertThrows(() => parseRouteMessage(bad), NetlinkDecodeError);
  assertEquals(parseRouteMessage(encodeRtmsg({ family: 7 })), undefined);
});
