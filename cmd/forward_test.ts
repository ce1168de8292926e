import { assertEquals } from "../tests/helpers/assert.ts";
import {
  forwardCall,
  forwardPluginProcess,
  needsStdin,
  replayReader,
  socketExists,
  socketPath,
} from "./forward.ts";
import { DEFAULT_SOCKET } from "./serve_protocol.ts";
import { AF_UNIX, sockaddrUn } from "../ffi/structs.ts";
import { SOCK_CLOEXEC, SOCK_STREAM } from "../ffi/constants.ts";
import { close } from "../ffi/fd.ts";
import { bind, socket } from "../ffi/socket.ts";

function reader(chunks: number[][]): (buf: Uint8Array) => Promise<number | null> {
  const queue = chunks.map((c) => new Uint8Array(c));
  return (buf) => {
    const next = queue.shift();
    if (!next) return Promise.resolve(null);
    buf.set(next);
    return Promise.resolve(next.length);
  };
}

async function drain(read: (buf: Uint8Array) => Promise<number | null>, size = 2) {
  const out: number[] = [];
  for (;;) {
    const buf = new Uint8Array(size);
    const n = await read(buf);
    if (n === null) return out;
    out.push(...buf.subarray(0, n));
  }
}

Deno.test("replayReader() yields what was read, then the rest of the stream", async () => {
  const read = replayReader(new Uint8Array([1, 2, 3]), reader([[4, 5], [6]]));
  assertEquals(await drain(read), [1, 2, 3, 4, 5, 6]);
});

Deno.test("needsStdin() and socketPath() follow the environment", () => {
  assertEquals(needsStdin({ CNI_COMMAND: "ADD" }), true);
  assertEquals(needsStdin({ CNI_COMMAND: "VERSION" }), false);
  assertEquals(needsStdin({}), false);
  assertEquals(socketPath({}), DEFAULT_SOCKET);
  assertEquals(socketPath({ DENOCNI_SOCKET: "/tmp/x.sock" }), "/tmp/x.sock");
});

Deno.test("forwardPluginProcess() without a socket reads nothing and hands the reader back", async () => {
  let reads = 0;
  const read = (_buf: Uint8Array) => {
    reads++;
    return Promise.resolve(null);
  };
  const env = { CNI_COMMAND: "ADD", DENOCNI_SOCKET: "/nonexistent/denocni.sock" };
  const fwd = await forwardPluginProcess("loopback", { env, read });
  assertEquals("read" in fwd && fwd.read === read, true);
  assertEquals(reads, 0);
});

Deno.test("forwardPluginProcess() with nobody listening replays stdin for the local run", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-forward-" });
  const path = `${dir}/dead.sock`;
  try {
    // A socket file with no process behind it: what a killed daemon leaves.
    const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bind(fd, sockaddrUn(path));
    close(fd);
    assertEquals(socketExists(path), true);
    const env = { CNI_COMMAND: "ADD", DENOCNI_SOCKET: path };
    const fwd = await forwardPluginProcess("loopback", { env, read: reader([[7, 8], [9]]) });
    assertEquals("read" in fwd, true);
    if ("read" in fwd) assertEquals(await drain(fwd.read), [7, 8, 9]);
    assertEquals(forwardCall("loopback", env, new Uint8Array(), { socket: path }), undefined);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
