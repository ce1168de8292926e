import { assert, assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { gated, NEEDS_ROOT } from "../tests/helpers/gate.ts";
import {
  currentNetnsInode,
  isCurrentNetns,
  isOwnNetns,
  netnsInode,
  NetnsNotFoundError,
  NotNetnsError,
  openNetns,
  PROCESS_NETNS_PATH,
  THREAD_NETNS_PATH,
  withNetns,
} from "./netns.ts";

function readlinkInode(path: string): number {
  const m = /^net:\[(\d+)\]$/.exec(Deno.readLinkSync(path));
  assert(m, `unexpected link text for ${path}`);
  return Number(m[1]);
}

Deno.test("currentNetnsInode() matches the net:[N] link of /proc/self/ns/net", () => {
  assertEquals(currentNetnsInode(), readlinkInode("/proc/self/ns/net"));
  assertEquals(currentNetnsInode(), readlinkInode(THREAD_NETNS_PATH));
});

Deno.test("openNetns() opens the thread's own namespace and netnsInode() reads it", () => {
  using ns = openNetns("/proc/self/ns/net");
  assertEquals(ns.path, "/proc/self/ns/net");
  assert(ns.fd >= 0);
  assertEquals(netnsInode(ns), currentNetnsInode());
  assertEquals(netnsInode("/proc/self/ns/net"), currentNetnsInode());
  assert(isCurrentNetns(ns));
});

Deno.test("NetnsHandle.close() is idempotent and fd throws once closed", () => {
  const ns = openNetns("/proc/self/ns/net");
  ns.close();
  ns.close();
  assert(ns.closed);
  assertThrows(() => ns.fd, Error, "is closed");
});

Deno.test("openNetns() of a missing path throws NetnsNotFoundError naming the path", () => {
  const err = assertThrows(
    () => openNetns("/run/netns/denocni-no-such-ns"),
    NetnsNotFoundError,
  );
  assertEquals(err.message, 'network namespace "/run/netns/denocni-no-such-ns" does not exist');
  assertEquals(err.path, "/run/netns/denocni-no-such-ns");
  assert(err instanceof NotNetnsError);
});

Deno.test("openNetns() of a gone /proc/PID/ns/net throws NetnsNotFoundError", () => {
  const err = assertThrows(() => openNetns("/proc/999999999/ns/net"), NetnsNotFoundError);
  assertEquals(err.message, 'network namespace "/proc/999999999/ns/net" does not exist');
});

Deno.test("openNetns() of a regular file throws NotNetnsError 'not a namespace file'", () => {
  const file = Deno.makeTempFileSync({ prefix: "denocni-netns-" });
  try {
    const err = assertThrows(() => openNetns(file), NotNetnsError);
    assertEquals(err.message, `"${file}" is not a network namespace: not a namespace file`);
    assert(!(err instanceof NetnsNotFoundError));
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("openNetns() of a FIFO fails at once instead of waiting for a writer", () => {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-netns-" });
  try {
    const fifo = `${dir}/fifo`;
    const mk = new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    assertEquals(mk.code, 0);
    const err = assertThrows(() => openNetns(fifo), NotNetnsError);
    assertEquals(err.message, `"${fifo}" is not a network namespace: not a namespace file`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openNetns() of a directory throws NotNetnsError", () => {
  const err = assertThrows(() => openNetns("/tmp"), NotNetnsError);
  assertEquals(err.message, '"/tmp" is not a network namespace: not a namespace file');
});

Deno.test("openNetns() of another namespace type names that type", () => {
  assertThrows(
    () => openNetns("/proc/self/ns/mnt"),
    NotNetnsError,
    '"/proc/self/ns/mnt" is not a network namespace: it is a mount namespace',
  );
  assertThrows(
    () => openNetns("/proc/self/ns/uts"),
    NotNetnsError,
    "it is a UTS namespace",
  );
});

Deno.test("openNetns() of an empty path throws NotNetnsError", () => {
  assertThrows(() => openNetns(""), NotNetnsError, "the path is empty");
});

Deno.test("withNetns() with a bad path throws before switching and leaves the thread alone", () => {
  const before = currentNetnsInode();
  let ran = false;
  assertThrows(
    () =>
      withNetns("/proc/self/ns/mnt", () => {
        ran = true;
      }),
    NotNetnsError,
  );
  assert(!ran);
  assertEquals(currentNetnsInode(), before);
});

Deno.test({
  ...gated(
    "withNetns() into its own namespace returns fn's value and rethrows fn's error",
    NEEDS_ROOT,
  ),
}, () => {
  const before = currentNetnsInode();
  assertEquals(withNetns("/proc/self/ns/net", () => currentNetnsInode()), before);
  assertThrows(
    () =>
      withNetns("/proc/self/ns/net", () => {
        throw new RangeError("boom");
      }),
    RangeError,
    "boom",
  );
  assertEquals(currentNetnsInode(), before);
});

Deno.test("isOwnNetns() is true for the thread's and the process's namespace paths", () => {
  assert(isOwnNetns(THREAD_NETNS_PATH));
  assert(isOwnNetns(PROCESS_NETNS_PATH));
  assert(isOwnNetns(`/proc/${Deno.pid}/ns/net`));
});

Deno.test({
  ...gated(
    "withNetns() refuses an async function: in the types, and at run time once back home",
    NEEDS_ROOT,
  ),
}, async () => {
  const here = "/proc/self/ns/net";
  const before = currentNetnsInode();
  let after = -1;
  const tail = async () => {
    await Promise.resolve();
    after = currentNetnsInode();
  };
  // @ts-expect-error an async function is refused by the types
  assertThrows(() => withNetns(here, tail), TypeError, "needs a synchronous function");
  const rejected = () => Promise.reject(new Error("handled"));
  // @ts-expect-error so is any function that returns a promise
  assertThrows(() => withNetns(here, rejected), TypeError, "needs a synchronous function");
  const thenable = () => ({ then: (ok: (v: number) => void) => ok(1) });
  // @ts-expect-error and one that returns any other thenable
  assertThrows(() => withNetns(here, thenable), TypeError, "needs a synchronous function");
  // A function typed `any` gets past the types; the run-time check still catches it.
  // deno-lint-ignore no-explicit-any
  const untyped: () => any = () => Promise.resolve(1);
  assertThrows(() => withNetns(here, untyped), TypeError, "needs a synchronous function");
  assertEquals(currentNetnsInode(), before);
  await Promise.resolve();
  assertEquals(after, before, "the async tail ran after withNetns had returned");
  // Synchronous results of every kind still pass, void included.
  withNetns(here, () => {});
  assertEquals(withNetns(here, () => new Uint8Array(2)).length, 2);
});
