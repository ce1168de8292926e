import { assertEquals } from "../tests/helpers/assert.ts";
import {
  DumpInterruptedError,
  kernelError,
  LinkNotFoundError,
  NetlinkDecodeError,
  NetlinkError,
  NetlinkInputError,
} from "./errors.ts";

Deno.test("NetlinkError message names op, target, errno text and code", () => {
  const e = new NetlinkError({
    op: "link add",
    target: "veth1",
    errno: 17,
    code: "EEXIST",
    description: "file exists",
  });
  assertEquals(e.message, 'link add "veth1": file exists (EEXIST)');
  assertEquals([e.name, e.errno, e.code, e.op, e.target, e.extack], [
    "NetlinkError",
    17,
    "EEXIST",
    "link add",
    "veth1",
    undefined,
  ]);
});

Deno.test("kernelError() maps errno names, appends extack, and types ENODEV", () => {
  const e = kernelError(
    { op: "addr del", target: "10.0.0.1/8 dev x" },
    99,
    "ipv4: Address not found",
  );
  assertEquals(
    e.message,
    'addr del "10.0.0.1/8 dev x": cannot assign requested address (EADDRNOTAVAIL): ipv4: Address not found',
  );
  assertEquals(e.code, "EADDRNOTAVAIL");
  assertEquals(e.extack, "ipv4: Address not found");
  const nf = kernelError({ op: "link del", target: "nope0" }, 19);
  assertEquals(nf instanceof LinkNotFoundError, true);
  assertEquals(nf.message, 'link del "nope0": no such device (ENODEV)');
  assertEquals(kernelError({ op: "x", target: "y" }, 17).code, "EEXIST");
});

Deno.test("LinkNotFoundError, NetlinkInputError and DumpInterruptedError are NetlinkErrors", () => {
  const nf = new LinkNotFoundError("link show", "eth9");
  assertEquals([nf instanceof NetlinkError, nf.errno, nf.code, nf.name], [
    true,
    19,
    "ENODEV",
    "LinkNotFoundError",
  ]);
  const bad = new NetlinkInputError("link add", "a/b", "invalid interface name");
  assertEquals(bad.message, 'link add "a/b": invalid interface name (EINVAL)');
  const di = new DumpInterruptedError("link show", "all", 5);
  assertEquals(di.attempts, 5);
  assertEquals(di.code, "EINTR");
  assertEquals(
    di.message,
    'link show "all": dump interrupted 5 times by concurrent changes (EINTR)',
  );
});

Deno.test("NetlinkDecodeError is a RangeError carrying the offset", () => {
  const e = new NetlinkDecodeError("nlmsghdr", 32, "header truncated");
  assertEquals(e instanceof RangeError, true);
  assertEquals(e.offset, 32);
  assertEquals(e.message, "Cannot decode nlmsghdr at offset 32: header truncated");
});
