import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import {
  calcRateTable,
  calcXmittime,
  decodeTbfOptions,
  decodeTbfQopt,
  encodeRatespec,
  encodeTbfOptions,
  encodeTbfQopt,
  parsePsched,
  timeToTicks,
  truncU32,
} from "./tc_tbf.ts";
import { encodeAttrs } from "./codec.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { TC_LINKLAYER_ATM } from "./tc_constants.ts";
import { hex } from "../tests/fixtures/netlink/fixtures.ts";
import { TC_PSCHED_TEXT, tcRequest } from "../tests/fixtures/netlink/tc_fixtures.ts";

const PSCHED = parsePsched("000003e8 00000040 000f4240 3b9aca00\n");

Deno.test("parsePsched() reads tick_in_usec as tc_core_init does", () => {
  assertEquals(PSCHED, { tickInUsec: 15.625, clockFactor: 1 });
  assertEquals(parsePsched(TC_PSCHED_TEXT), PSCHED);
  // A nanosecond clock resolution makes t2us equal us2t (iproute2's compatibility hack).
  assertEquals(parsePsched("000003e8 00000040 3b9aca00 3b9aca00"), {
    tickInUsec: 1000,
    clockFactor: 1000,
  });
  assertThrows(() => parsePsched("hello"), NetlinkDecodeError, "psched");
  assertThrows(() => parsePsched("1 0 f4240"), NetlinkDecodeError, "us2t is 0");
});

Deno.test("truncU32() converts like C and Go on x86-64", () => {
  assertEquals(truncU32(1.9), 1);
  assertEquals(truncU32(-1), 0xffffffff);
  assertEquals(truncU32(2 ** 32 + 5.5), 5);
  assertEquals(truncU32(2 ** 60 + 2 ** 12), 2 ** 12);
  assertEquals(truncU32(NaN), 0);
  assertEquals(truncU32(Infinity), 0);
  assertEquals(truncU32(2 ** 63), 0);
});

Deno.test("calcXmittime() truncates twice, as tc_calc_xmittime", () => {
  assertEquals(calcXmittime(PSCHED, 125_000, 25_000), 3_125_000);
  // 1e6 * (1992 / 125000) is 15935.999..., truncated before the tick conversion.
  assertEquals(calcXmittime(PSCHED, 125_000, 1992), 248_984);
  assertEquals(timeToTicks(PSCHED, 200_000), 3_125_000);
});

Deno.test("encodeRatespec() and encodeTbfQopt() golden bytes; decodeTbfQopt() round trip", () => {
  assertEquals(
    hex(encodeRatespec({ cellLog: 3, linklayer: 1, cellAlign: -1, mpu: 64, rate: 125_000 })),
    "0301" + "0000" + "ffff" + "4000" + "48e80100",
  );
  const q = {
    rate: { cellLog: 0, linklayer: 0, overhead: 0, cellAlign: 0, mpu: 0, rate: 125_000 },
    peakrate: { cellLog: 0, linklayer: 0, overhead: 0, cellAlign: 0, mpu: 0, rate: 0 },
    limit: 28_125,
    buffer: 3_125_000,
    mtu: 0,
  };
  const b = encodeTbfQopt(q);
  assertEquals(
    hex(b),
    "000000000000000048e80100" + "000000000000000000000000" + "dd6d0000" + "08af2f00" +
      "00000000",
  );
  assertEquals(decodeTbfQopt(b, 0), [q, 36]);
  assertThrows(() => decodeTbfQopt(b, 1), NetlinkDecodeError, "offset 1");
});

Deno.test("encodeTbfOptions() as the reference plugin sends it: PARMS only, RATE64 from 2^32", () => {
  assertEquals(
    hex(encodeAttrs(encodeTbfOptions({ rate: 125_000, limit: 28_125, buffer: 3_125_000 }))),
    "28000100" + "000000000000000048e80100" + "0".repeat(24) + "dd6d0000" + "08af2f00" +
      "00000000",
  );
  const big = encodeAttrs(encodeTbfOptions({ rate: 5_000_000_000, limit: 1, buffer: 2 }));
  // The ratespec saturates at 2^32-1; TCA_TBF_RATE64 (4) carries the real rate.
  assertEquals(hex(big.subarray(12, 16)), "ffffffff");
  assertEquals(hex(big.subarray(40)), "0c000400" + "00f2052a01000000");
  assertEquals(decodeTbfOptions(big).rate, 5_000_000_000);
});

Deno.test("calcRateTable() reproduces the RTAB tc sent, cell_log 3 for the default mtu", () => {
  const sent = tcRequest("tbfAdd");
  // nlmsghdr 16 + tcmsg 20 + TCA_KIND 8 + TCA_OPTIONS header 4 + PARMS 40 + BURST 8 + RTAB hdr 4
  const rtab = sent.subarray(100, 100 + 1024);
  const { table, ratespec } = calcRateTable(125_000, { psched: PSCHED });
  assertEquals(hex(table), hex(rtab));
  assertEquals(ratespec, {
    cellLog: 3,
    linklayer: 1,
    overhead: 0,
    cellAlign: -1,
    mpu: 0,
    rate: 125_000,
  });
  const atm = calcRateTable(125_000, { psched: PSCHED, mtu: 1500, linklayer: TC_LINKLAYER_ATM });
  assertEquals(atm.ratespec.cellLog, 3);
  // 8 bytes fill one 53-byte ATM cell: 1e6 * 53 / 125000 = 424 us = 6625 ticks.
  assertEquals(new DataView(atm.table.buffer).getUint32(0, true), 6625);
});

Deno.test("decodeTbfOptions() needs TCA_TBF_PARMS", () => {
  assertThrows(() => decodeTbfOptions(new Uint8Array()), NetlinkDecodeError, "TCA_TBF_PARMS");
  assertThrows(
    () => decodeTbfOptions(Uint8Array.of(8, 0, 1, 0, 0, 0, 0, 0)),
    NetlinkDecodeError,
    "tc_tbf_qopt",
  );
});
