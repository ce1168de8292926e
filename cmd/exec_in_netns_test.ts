import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { ConfigNotFoundError } from "../cni/errors.ts";
import { DEFAULT_NETWORK_NAME } from "./default_network.ts";
import { networksForExec } from "./exec_in_netns.ts";

function confDir(files: Record<string, unknown>): string {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-exec-nets-" });
  for (const [name, body] of Object.entries(files)) {
    Deno.writeTextFileSync(`${dir}/${name}`, JSON.stringify(body));
  }
  return dir;
}

const NET_A = { cniVersion: "1.0.0", name: "a", plugins: [{ type: "loopback" }] };
const NET_B = { cniVersion: "1.0.0", name: "b", plugins: [{ type: "portmap" }] };

Deno.test("networksForExec() takes every network in the directory when none is asked for", () => {
  const dir = confDir({ "10-a.conflist": NET_A, "20-b.conflist": NET_B });
  try {
    assertEquals(networksForExec(dir, []).map((l) => l.name), ["a", "b"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("networksForExec() falls back to the embedded default for an empty or missing dir", () => {
  const dir = confDir({});
  try {
    assertEquals(networksForExec(dir, []).map((l) => l.name), [DEFAULT_NETWORK_NAME]);
    assertEquals(networksForExec(`${dir}/missing`, []).map((l) => l.name), [DEFAULT_NETWORK_NAME]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("networksForExec() with defaultNetwork ignores what the directory holds", () => {
  const dir = confDir({ "87-podman-bridge.conflist": NET_B });
  try {
    const lists = networksForExec(dir, [], { defaultNetwork: true });
    assertEquals(lists.map((l) => l.name), [DEFAULT_NETWORK_NAME]);
    assertEquals(lists[0]!.plugins.map((p) => p.network.type), ["bridge", "loopback"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("networksForExec() puts the default first, then the named networks in order", () => {
  const dir = confDir({ "10-a.conflist": NET_A, "20-b.conflist": NET_B });
  try {
    assertEquals(
      networksForExec(dir, ["b", "a"], { defaultNetwork: true }).map((l) => l.name),
      [DEFAULT_NETWORK_NAME, "b", "a"],
    );
    assertEquals(networksForExec(dir, ["b"]).map((l) => l.name), ["b"]);
    assertThrows(
      () => networksForExec(dir, ["nope"], { defaultNetwork: true }),
      ConfigNotFoundError,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
