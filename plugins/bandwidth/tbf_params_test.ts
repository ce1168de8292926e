import { assertEquals } from "../../tests/helpers/assert.ts";
import { tbfParams } from "./tbf_params.ts";

const PSCHED = { tickInUsec: 15.625, clockFactor: 1 };

Deno.test("tbfParams() matches the reference's observed values (1 Mbit/s, 200 000 bit burst)", () => {
  // plugins-more.md §4.3 [run 1.1.1]: rate 125000, buffer 3125000 ticks, limit 28125.
  assertEquals(tbfParams(1_000_000, 200_000, PSCHED), {
    rate: 125_000,
    limit: 28_125,
    buffer: 3_125_000,
  });
  assertEquals(tbfParams(2_000_000, 400_000, PSCHED), {
    rate: 250_000,
    limit: 56_250,
    buffer: 3_125_000,
  });
});

Deno.test("tbfParams() divides bits by 8 as integers and truncates like Go", () => {
  // 1 001 bit/s -> 125 bytes/s; 1 007 bit burst -> 125 bytes; 1e6 s*125/125 = 1e6 us.
  assertEquals(tbfParams(1001, 1007, PSCHED), { rate: 125, limit: 128, buffer: 15_625_000 });
  // burst * 1e6 is divided by the rate before the tick conversion: 3e6/7 = 428571.43 -> 428571.
  assertEquals(tbfParams(56, 24, PSCHED).buffer, Math.trunc(428_571 * 15.625));
  // Under 8 bit/s the byte rate is 0: Go's uint32(+Inf) is 0 (the kernel then refuses).
  assertEquals(tbfParams(7, 200_000, PSCHED), { rate: 0, limit: 25_000, buffer: 0 });
});

Deno.test("tbfParams() at 40 Gbit/s, and a limit past 2^32 wrapping like Go's uint32", () => {
  assertEquals(tbfParams(40e9, 8e6, PSCHED), {
    rate: 5e9,
    limit: 125e6 + 1e6,
    buffer: 3125,
  });
  // 1.6 Tbit/s: 25 ms is 5e9 bytes, which uint32() keeps the low 32 bits of.
  assertEquals(tbfParams(1.6e12, 8e6, PSCHED).limit, 5e9 - 2 ** 32 + 1e6);
});
