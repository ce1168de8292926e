import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import {
  backupPath,
  decodeBackup,
  encodeBackup,
  readBackup,
  removeBackup,
  writeBackup,
} from "./backup.ts";

Deno.test("encodeBackup() prints the reference's text: one-space indent, struct order, only set fields", () => {
  // Seen from Debian 1.1.1 (plugins-more.md §3.5).
  assertEquals(
    encodeBackup({ allmulti: false, mtu: 1500, promisc: false, mac: "66:79:35:a5:c2:a1" }),
    '{\n "mac": "66:79:35:a5:c2:a1",\n "promisc": false,\n "mtu": 1500,\n "allmulti": false\n}',
  );
  assertEquals(encodeBackup({ txQLen: 1000, mtu: 0, mac: "" }), '{\n "txQLen": 1000\n}');
  assertEquals(encodeBackup({}), "{}");
});

Deno.test("decodeBackup() reads what Go's struct would and refuses what it would not", () => {
  assertEquals(decodeBackup('{"mac":"aa:bb:cc:dd:ee:ff","mtu":1400,"txQLen":0,"x":1}'), {
    mac: "aa:bb:cc:dd:ee:ff",
    mtu: 1400,
    txQLen: 0,
  });
  assertEquals(decodeBackup('{"promisc":null,"mtu":0}'), {});
  for (const bad of ["", "{", "[]", "null", '{"mtu":"1500"}', '{"promisc":1}', '{"mtu":-1}']) {
    assertEquals(decodeBackup(bad), undefined, bad);
  }
});

Deno.test("backupPath() is <dataDir>/<cid>_<ifname>.json", () => {
  assertEquals(
    backupPath("/run/cni/tuning", { containerId: "c1", ifName: "eth0" }),
    "/run/cni/tuning/c1_eth0.json",
  );
  assertEquals(
    backupPath("/tmp/x/", { containerId: "c1", ifName: "net1.5" }),
    "/tmp/x/c1_net1.5.json",
  );
});

Deno.test("writeBackup() creates the directory 0700 and the file 0600; readBackup() and removeBackup() round trip", () => {
  const root = Deno.makeTempDirSync({ prefix: "tuning-backup-" });
  try {
    const path = backupPath(`${root}/a/b`, { containerId: "c1", ifName: "eth0" });
    assertEquals(readBackup(path), { kind: "none" });
    const text = encodeBackup({ mtu: 1500 });
    writeBackup(path, text);
    assertEquals(Deno.statSync(`${root}/a/b`).mode! & 0o777, 0o700);
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o600);
    assertEquals(readBackup(path), { kind: "ok", backup: { mtu: 1500 }, text });
    writeBackup(path, "{}");
    assertEquals([...Deno.readDirSync(`${root}/a/b`)].map((e) => e.name), ["c1_eth0.json"]);
    Deno.writeTextFileSync(path, "not json");
    assertEquals(readBackup(path), { kind: "corrupt", text: "not json" });
    removeBackup(path);
    removeBackup(path);
    assertEquals(readBackup(path), { kind: "none" });
    Deno.mkdirSync(path);
    assertEquals(assertThrows(() => readBackup(path), CniError).code, 5);
    Deno.writeTextFileSync(`${root}/file`, "");
    const err = assertThrows(() => writeBackup(`${root}/file/x.json`, "{}"), CniError);
    assertEquals(err.msg.startsWith("failed to create backup directory: "), true, err.msg);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("writeBackup() and readBackup() never go through a link planted in the data directory", () => {
  const root = Deno.makeTempDirSync({ prefix: "tuning-backup-" });
  try {
    const path = backupPath(`${root}/d`, { containerId: "c1", ifName: "eth0" });
    Deno.mkdirSync(`${root}/d`);
    Deno.writeTextFileSync(`${root}/victim`, "untouched");
    // A link under the temp name writeBackup uses, and one under the backup's own name.
    Deno.symlinkSync(`${root}/victim`, `${path}.tmp-${Deno.pid}`);
    Deno.symlinkSync(`${root}/victim`, path);
    assertEquals(assertThrows(() => readBackup(path), CniError).code, 5);
    const text = encodeBackup({ mtu: 1500 });
    writeBackup(path, text);
    assertEquals(Deno.readTextFileSync(`${root}/victim`), "untouched");
    assertEquals(Deno.lstatSync(path).isFile, true);
    assertEquals(readBackup(path), { kind: "ok", backup: { mtu: 1500 }, text });
    assertEquals([...Deno.readDirSync(`${root}/d`)].map((e) => e.name), ["c1_eth0.json"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
