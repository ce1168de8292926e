// Privileged netns tests: real namespaces with unique names, checked with `ip` / `nsenter` /
// `sysctl` as independent oracles, removed in finally. Every test also checks that the test
// process's own network namespace is the same before and after.
import { assert, assertEquals, assertNotEquals, assertThrows, IS_ROOT } from "./helpers/assert.ts";
import { gated, NEEDS_ROOT } from "./helpers/gate.ts";
import { runSync, shSync } from "./helpers/run.ts";
import {
  currentNetnsInode,
  isCurrentNetns,
  isOwnNetns,
  NETNS_RUN_DIR,
  netnsAdd,
  netnsCreateAt,
  netnsDelete,
  NetnsError,
  netnsInode,
  netnsList,
  NetnsNotFoundError,
  netnsPath,
  netnsRemoveAt,
  NotNetnsError,
  openNetns,
  outputInNetnsSync,
  spawnInNetns,
  sysctlEnsure,
  SysctlError,
  sysctlGet,
  sysctlSet,
  withNetns,
} from "../netns/mod.ts";

const HOST_INODE = IS_ROOT ? currentNetnsInode() : 0;

function uniqueName(prefix = "dcns"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

function ipNetnsNames(): string[] {
  // `ip netns list` prints "name" or "name (id: N)" per line.
  return shSync("ip", "netns", "list").split("\n").filter((l) => l !== "").map((l) =>
    l.split(" ")[0]!
  );
}

function inodeOfLink(text: string): number {
  const m = /net:\[(\d+)\]/.exec(text);
  assert(m, `no net:[N] in ${JSON.stringify(text)}`);
  return Number(m[1]);
}

/** Best-effort removal of a named namespace, by whichever tool still can. */
function cleanupNs(name: string): void {
  try {
    netnsDelete(name);
  } catch {
    runSync("ip", ["netns", "del", name]);
  }
}

/** Named namespaces of these tests (`uniqueName()`) that exist now. */
function ourNamespaces(): string[] {
  return netnsList().filter((n) => n.startsWith("dcns-"));
}

/**
 * A privileged test that also checks the process's namespace is untouched and, when it
 * passed, that it left none of the named namespaces it made.
 */
function rootTest(name: string, fn: () => void | Promise<void>): void {
  Deno.test(gated(name, NEEDS_ROOT), async () => {
    assertEquals(currentNetnsInode(), HOST_INODE, "namespace before the test");
    const before = new Set(ourNamespaces());
    try {
      await fn();
    } finally {
      assertEquals(currentNetnsInode(), HOST_INODE, "namespace after the test");
      assertEquals(inodeOfLink(Deno.readLinkSync("/proc/self/ns/net")), HOST_INODE);
    }
    assertEquals(ourNamespaces().filter((n) => !before.has(n)), [], "namespaces left behind");
  });
}

rootTest("netnsAdd() makes a namespace that ip netns list/exec and ip -n see", () => {
  const name = uniqueName();
  try {
    const path = netnsAdd(name);
    assertEquals(path, `/run/netns/${name}`);
    assertEquals(netnsPath(name), path);
    assert(ipNetnsNames().includes(name), "ip netns list shows it");
    assert(netnsList().includes(name), "netnsList() shows it");
    // A fresh namespace holds only lo, down, as after `ip netns add`.
    const links = JSON.parse(shSync("ip", "-j", "-n", name, "link", "show")) as {
      ifname: string;
      operstate: string;
    }[];
    assertEquals(links.map((l) => [l.ifname, l.operstate]), [["lo", "DOWN"]]);
    // ip netns exec enters the very namespace we bound.
    const inode = netnsInode(path);
    assertNotEquals(inode, HOST_INODE);
    assertEquals(
      inodeOfLink(shSync("ip", "netns", "exec", name, "readlink", "/proc/self/ns/net")),
      inode,
    );
    // /run/netns is a shared mount point, as iproute2 leaves it.
    const prop = shSync("findmnt", "-n", "-o", "PROPAGATION", NETNS_RUN_DIR).trim();
    assert(prop.startsWith("shared"), `propagation of /run/netns: ${prop}`);
    // The namespace file is itself a mount of nsfs.
    const fstype = shSync("findmnt", "-n", "-o", "FSTYPE", path).trim();
    assertEquals(fstype, "nsfs");

    netnsDelete(name);
    assert(!ipNetnsNames().includes(name), "ip netns list no longer shows it");
    assert(!netnsList().includes(name));
    assertThrows(() => Deno.statSync(path), Deno.errors.NotFound);
  } finally {
    cleanupNs(name);
  }
});

rootTest("openNetns() and netnsDelete() work on a namespace made by ip netns add", () => {
  const name = uniqueName();
  shSync("ip", "netns", "add", name);
  try {
    const theirs = inodeOfLink(
      shSync("ip", "netns", "exec", name, "readlink", "/proc/self/ns/net"),
    );
    using a = openNetns(`/run/netns/${name}`);
    using b = openNetns(`/var/run/netns/${name}`);
    assertEquals(netnsInode(a), theirs);
    assertEquals(netnsInode(b), theirs);
    assert(!isCurrentNetns(a));
    assertEquals(withNetns(a, () => currentNetnsInode()), theirs);
    assert(netnsList().includes(name));
    netnsDelete(name);
    assert(!ipNetnsNames().includes(name), "ours deleted theirs");
    // The open handle keeps the namespace alive and usable after the name is gone.
    assertEquals(withNetns(a, () => currentNetnsInode()), theirs);
  } finally {
    runSync("ip", ["netns", "del", name]);
  }
});

rootTest("netnsAdd() of an existing name fails and leaves the existing namespace intact", () => {
  const name = uniqueName();
  try {
    const path = netnsAdd(name);
    const inode = netnsInode(path);
    const err = assertThrows(() => netnsAdd(name), NetnsError);
    assertEquals(err.message, `create network namespace "${name}": it already exists`);
    assertEquals(netnsInode(path), inode);
    assert(ipNetnsNames().includes(name));
  } finally {
    cleanupNs(name);
  }
});

rootTest("netnsDelete() of a missing name throws NetnsNotFoundError", () => {
  const name = uniqueName();
  const err = assertThrows(() => netnsDelete(name), NetnsNotFoundError);
  assertEquals(
    err.message,
    `delete network namespace "${name}": network namespace "/run/netns/${name}" does not exist`,
  );
});

rootTest("netnsAdd() refuses invalid names and creates nothing", () => {
  const before = netnsList();
  for (const bad of ["", ".", "..", "a/b", "../etc", "x".repeat(256)]) {
    assertThrows(() => netnsAdd(bad), NetnsError, "invalid network namespace name");
  }
  assertEquals(netnsList(), before);
});

rootTest("netnsCreateAt() binds a namespace at any path and netnsRemoveAt() removes it", () => {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-nsat-" });
  const path = `${dir}/ns`;
  try {
    assertEquals(netnsCreateAt(path), path);
    const inode = netnsInode(path);
    assertNotEquals(inode, HOST_INODE);
    // nsenter, an independent tool, enters the same namespace through the file.
    assertEquals(
      inodeOfLink(shSync("nsenter", `--net=${path}`, "readlink", "/proc/self/ns/net")),
      inode,
    );
    // A second create on the same path fails without disturbing the first.
    assertThrows(() => netnsCreateAt(path), NetnsError, "already exists");
    assertEquals(netnsInode(path), inode);
    netnsRemoveAt(path);
    assertThrows(() => Deno.statSync(path), Deno.errors.NotFound);
    assertThrows(() => netnsRemoveAt(path), NetnsNotFoundError);
  } finally {
    runSync("umount", ["-l", path]);
    Deno.removeSync(dir, { recursive: true });
  }
});

rootTest("netnsCreateAt() in a missing directory fails with the path and leaves nothing", () => {
  const path = `/tmp/denocni-missing-${crypto.randomUUID()}/ns`;
  const err = assertThrows(() => netnsCreateAt(path), NetnsError);
  assertEquals(
    err.message,
    `create network namespace at "${path}": open "${path}": no such file or directory (ENOENT)`,
  );
});

rootTest("openNetns() refuses non-namespace paths with typed errors", () => {
  const file = Deno.makeTempFileSync({ prefix: "denocni-notns-" });
  try {
    assertThrows(() => openNetns(file), NotNetnsError, "not a namespace file");
    assertThrows(() => openNetns("/proc/self/ns/mnt"), NotNetnsError, "it is a mount namespace");
    assertThrows(() => openNetns("/proc/self/ns/pid"), NotNetnsError, "it is a PID namespace");
    assertThrows(
      () => openNetns(`/run/netns/${uniqueName()}`),
      NetnsNotFoundError,
      "does not exist",
    );
    assertThrows(
      () => openNetns(`/var/run/netns/${uniqueName()}`),
      NetnsNotFoundError,
      "does not exist",
    );
    assertThrows(() => withNetns(file, () => 1), NotNetnsError, "not a namespace file");
  } finally {
    Deno.removeSync(file);
  }
});

rootTest("withNetns() enters the namespace and returns after a throw", () => {
  const name = uniqueName();
  try {
    const path = netnsAdd(name);
    const target = netnsInode(path);
    let inside = 0;
    const err = assertThrows(
      () =>
        withNetns(path, () => {
          inside = currentNetnsInode();
          throw new TypeError("thrown inside");
        }),
      TypeError,
    );
    assertEquals(err.message, "thrown inside");
    assertEquals(inside, target);
    assertEquals(currentNetnsInode(), HOST_INODE);
    // Switched, the thread's namespace and the process's (main thread's) both count as own;
    // the target is not own from outside.
    assert(withNetns(path, () => isOwnNetns(path) && isOwnNetns("/proc/self/ns/net")));
    assert(!isOwnNetns(path));
    // Nested: inner returns to the outer namespace, outer to the host.
    const other = uniqueName();
    try {
      const otherPath = netnsAdd(other);
      const seen = withNetns(path, () => {
        const inner = withNetns(otherPath, () => currentNetnsInode());
        return [inner, currentNetnsInode()];
      });
      assertEquals(seen, [netnsInode(otherPath), target]);
    } finally {
      cleanupNs(other);
    }
  } finally {
    cleanupNs(name);
  }
});

rootTest(
  "openNetns() of /proc/PID/ns/net follows a process, and fails once it is gone",
  async () => {
    const name = uniqueName();
    try {
      const path = netnsAdd(name);
      const child = spawnInNetns(path, "sleep", { args: ["30"], stdout: "null", stderr: "null" });
      const procPath = `/proc/${child.pid}/ns/net`;
      try {
        using ns = openNetns(procPath);
        assertEquals(netnsInode(ns), netnsInode(path));
      } finally {
        child.kill("SIGKILL");
        await child.status;
      }
      assertThrows(() => openNetns(procPath), NetnsNotFoundError, "does not exist");
    } finally {
      cleanupNs(name);
    }
  },
);

rootTest("spawnInNetns() starts the child in the namespace; the caller stays home", async () => {
  const name = uniqueName();
  try {
    const path = netnsAdd(name);
    const child = spawnInNetns(path, "readlink", {
      args: ["/proc/self/ns/net"],
      stdout: "piped",
      stderr: "piped",
    });
    assertEquals(currentNetnsInode(), HOST_INODE);
    const out = await child.output();
    assertEquals(out.code, 0);
    assertEquals(inodeOfLink(new TextDecoder().decode(out.stdout)), netnsInode(path));
    // The synchronous variant, with an oracle that lists the namespace's links.
    const sync = outputInNetnsSync(path, "ip", { args: ["-j", "link", "show"], stdout: "piped" });
    const names = (JSON.parse(new TextDecoder().decode(sync.stdout)) as { ifname: string }[])
      .map((l) => l.ifname);
    assertEquals(names, ["lo"]);
    assertThrows(
      () => spawnInNetns(path, "/nonexistent/denocni-prog", {}),
      Deno.errors.NotFound,
    );
    assertEquals(currentNetnsInode(), HOST_INODE);
  } finally {
    cleanupNs(name);
  }
});

rootTest("sysctlSet()/sysctlGet() act inside the namespace and leave the host's value", () => {
  const name = uniqueName();
  const hostForward = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward");
  const hostDisable = Deno.readTextFileSync("/proc/sys/net/ipv6/conf/lo/disable_ipv6");
  try {
    const path = netnsAdd(name);
    // A new namespace starts with the host's IPv4 forwarding (devconf_inherit_init_net=0).
    const initial = sysctlGet("net.ipv4.ip_forward", { netns: path });
    assertEquals(
      initial,
      shSync("ip", "netns", "exec", name, "sysctl", "-n", "net.ipv4.ip_forward").trim(),
    );
    const wanted = initial === "1" ? "0" : "1";
    sysctlSet("net.ipv4.ip_forward", wanted, { netns: path });
    assertEquals(sysctlGet("net/ipv4/ip_forward", { netns: path }), wanted);
    assertEquals(
      shSync("ip", "netns", "exec", name, "sysctl", "-n", "net.ipv4.ip_forward").trim(),
      wanted,
    );
    assertEquals(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward"), hostForward);

    // sysctlEnsure writes only when the value differs.
    const lo = "net.ipv6.conf.lo.disable_ipv6";
    const loNow = sysctlGet(lo, { netns: path });
    assertEquals(sysctlEnsure(lo, loNow, { netns: path }), false);
    const flipped = loNow === "1" ? "0" : "1";
    assertEquals(sysctlEnsure(lo, flipped, { netns: path }), true);
    assertEquals(sysctlEnsure(lo, flipped, { netns: path }), false);
    assertEquals(
      shSync("ip", "netns", "exec", name, "cat", "/proc/sys/net/ipv6/conf/lo/disable_ipv6").trim(),
      flipped,
    );
    assertEquals(Deno.readTextFileSync("/proc/sys/net/ipv6/conf/lo/disable_ipv6"), hostDisable);

    // Whitespace-separated values compare equal to the kernel's tab-separated form.
    const ports = sysctlGet("net.ipv4.ip_local_port_range", { netns: path });
    assertEquals(
      sysctlEnsure("net.ipv4.ip_local_port_range", ports.replace(/\s+/, " "), { netns: path }),
      false,
    );
  } finally {
    cleanupNs(name);
  }
  assertEquals(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward"), hostForward);
});

rootTest("sysctl keys with dotted interface names work in slash form and swapped form", () => {
  const name = uniqueName();
  try {
    const path = netnsAdd(name);
    shSync("ip", "-n", name, "link", "add", "d0.1", "type", "veth", "peer", "name", "d0.2");
    sysctlSet("net/ipv6/conf/d0.1/accept_dad", "0", { netns: path });
    assertEquals(
      shSync("ip", "netns", "exec", name, "cat", "/proc/sys/net/ipv6/conf/d0.1/accept_dad").trim(),
      "0",
    );
    sysctlSet("net.ipv6.conf.d0/1.accept_dad", "2", { netns: path });
    assertEquals(sysctlGet("net/ipv6/conf/d0.1/accept_dad", { netns: path }), "2");
    // The interface does not exist on the host: a clear error, not a stack trace.
    const err = assertThrows(
      () => sysctlGet("net/ipv6/conf/d0.1/accept_dad"),
      SysctlError,
    );
    assertEquals(err.message, 'read sysctl "net/ipv6/conf/d0.1/accept_dad": no such key');
  } finally {
    cleanupNs(name);
  }
});

rootTest("sysctlSet() with an invalid value reports the key and value", () => {
  const name = uniqueName();
  try {
    const path = netnsAdd(name);
    const before = sysctlGet("net.ipv4.ip_forward", { netns: path });
    const err = assertThrows(
      () => sysctlSet("net.ipv4.ip_forward", "notanumber", { netns: path }),
      SysctlError,
    );
    assert(
      err.message.startsWith('write "notanumber" to sysctl "net.ipv4.ip_forward": '),
      err.message,
    );
    assertEquals(sysctlGet("net.ipv4.ip_forward", { netns: path }), before);
  } finally {
    cleanupNs(name);
  }
});
