import { join } from "node:path";
import { assertEquals, assertStringIncludes, assertThrows } from "../tests/helpers/assert.ts";
import { confFiles, listNetworks, loadConfList } from "./conf_files.ts";
import { CniError, ConfigNotFoundError } from "./errors.ts";

const FIXTURES = new URL("../tests/fixtures/conf/", import.meta.url).pathname;
const GOOD = join(FIXTURES, "good");
const BAD = join(FIXTURES, "bad");
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function withTempDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "denocni-conf-" });
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, name);
      Deno.mkdirSync(join(path, ".."), { recursive: true });
      Deno.writeTextFileSync(path, content);
    }
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("confFiles() filters by exact extension, skips dirs, sorts by bytes", () => {
  withTempDir({
    "b.conf": "{}",
    "B.conflist": "{}",
    "a.json": "{}",
    "c.CONF": "{}",
    "d.conf.bak": "{}",
    "sub.conf/x.conf": "{}",
  }, (dir) => {
    assertEquals(confFiles(dir).map((f) => f.slice(dir.length + 1)), [
      "B.conflist",
      "a.json",
      "b.conf",
    ]);
    assertEquals(confFiles(dir, [".conflist"]).length, 1);
  });
  assertEquals(confFiles("/nonexistent/denocni"), []);
});

Deno.test("loadConfList() loads the C.1 list and the README .conf files", () => {
  const db = loadConfList(GOOD, "dbnet");
  assertEquals(db.plugins.map((p) => p.network.type), ["bridge", "tuning"]);
  assertEquals(text(db.bytes), Deno.readTextFileSync(join(GOOD, "10-dbnet.conflist")));
  const my = loadConfList(GOOD, "mynet");
  assertEquals(my.cniVersion, "0.2.0");
  assertEquals(
    text(my.bytes),
    '{"cniVersion":"0.2.0","name":"mynet","plugins":[{"bridge":"cni0","cniVersion":"0.2.0",' +
      '"ipMasq":true,"ipam":{"routes":[{"dst":"0.0.0.0/0"}],"subnet":"10.22.0.0/16",' +
      '"type":"host-local"},"isGateway":true,"name":"mynet","type":"bridge"}]}',
  );
  assertEquals(loadConfList(GOOD, "lo").plugins[0]!.network.type, "loopback");
});

Deno.test("loadConfList() selects cniVersions and appends <dir>/<name>/*.conf plugins", () => {
  const list = loadConfList(GOOD, "multi");
  assertEquals(list.cniVersion, "1.1.0");
  assertEquals(list.cniVersions, ["0.4.0", "1.1.0", "99.0.0"]);
  assertEquals([list.disableCheck, list.disableGC], [true, true]);
  assertEquals(list.plugins.map((p) => p.network.type), ["noop", "portmap"]);
  assertEquals(
    text(list.plugins[0]!.bytes),
    '{"big":1500,"note":"a\\u003cb\\u003e\\u0026c","type":"noop"}',
  );
  assertEquals(
    text(list.plugins[1]!.bytes),
    Deno.readTextFileSync(join(GOOD, "multi", "10-portmap.conf")),
  );
});

Deno.test("loadConfList() honours loadOnlyInlinedPlugins and needs some plugins", () => {
  withTempDir({
    "a.conflist": '{"name":"a","cniVersion":"1.0.0","loadOnlyInlinedPlugins":true,' +
      '"plugins":[{"type":"inline"}]}',
    "a/1.conf": '{"type":"fromdir"}',
    "b.conflist": '{"name":"b","cniVersion":"1.0.0"}',
    "b/1.conf": '{"type":"only-from-dir"}',
    "c.conflist": '{"name":"c","cniVersion":"1.0.0"}',
  }, (dir) => {
    assertEquals(loadConfList(dir, "a").plugins.map((p) => p.network.type), ["inline"]);
    assertEquals(loadConfList(dir, "b").plugins.map((p) => p.network.type), ["only-from-dir"]);
    const err = assertThrows(() => loadConfList(dir, "c"), CniError, "no plugin configs found");
    assertEquals(err.code, 7);
  });
});

Deno.test("loadConfList() prefers .conflist over .conf and the first file in order", () => {
  withTempDir({
    "00-x.conf": '{"name":"x","cniVersion":"1.0.0","type":"fromconf"}',
    "50-x.conflist": '{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"first"}]}',
    "60-x.conflist": '{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"second"}]}',
  }, (dir) => {
    assertEquals(loadConfList(dir, "x").plugins[0]!.network.type, "first");
  });
});

Deno.test("loadConfList() is not blinded by bad files next to good ones", () => {
  assertEquals(loadConfList(BAD, "good").plugins[0]!.network.type, "bridge");
  const future = assertThrows(() => loadConfList(BAD, "future"), CniError);
  assertEquals(future.code, 1);
  assertStringIncludes(future.msg, "01-future.conflist");
  const notype = assertThrows(() => loadConfList(BAD, "notype"), CniError);
  assertEquals(notype.code, 7);
  assertStringIncludes(notype.msg, 'plugins[0]: field "type"');
  const badtypes = assertThrows(() => loadConfList(BAD, "badtypes"), CniError);
  assertStringIncludes(badtypes.msg, 'field "disableCheck"');
  const missing = assertThrows(() => loadConfList(BAD, "nope"), ConfigNotFoundError);
  assertEquals([missing.code, missing.dir, missing.network], [7, BAD, "nope"]);
  assertEquals(missing.msg, `no net configuration with name "nope" in ${BAD}`);
  for (const f of ["00-malformed", "01-future", "02-noname", "03-notype", "04-badtypes"]) {
    assertStringIncludes(missing.details, `${f}.conflist`);
  }
  assertStringIncludes(missing.details, "error parsing configuration list");
  // the malformed file's network name cannot be read, so it is "not found" with the reason
  const broken = assertThrows(() => loadConfList(BAD, "broken"), ConfigNotFoundError);
  assertStringIncludes(broken.details, "00-malformed.conflist");
});

Deno.test("loadConfList() in an empty or missing directory says there are no configs", () => {
  withTempDir({}, (dir) => {
    const err = assertThrows(() => loadConfList(dir, "x"), ConfigNotFoundError);
    assertEquals(err.details, `no net configurations found in ${dir}`);
  });
  assertThrows(() => loadConfList("/nonexistent/denocni", "x"), ConfigNotFoundError);
});

Deno.test("listNetworks() lists good networks in lookup order and the bad files", () => {
  const good = listNetworks(GOOD);
  assertEquals(good.networks.map((n) => n.name), ["dbnet", "multi", "mynet", "lo"]);
  assertEquals(good.errors, []);
  const bad = listNetworks(BAD);
  assertEquals(bad.networks.map((n) => n.name), ["good"]);
  assertEquals(bad.errors.map((e) => e.file.slice(BAD.length + 1)), [
    "00-malformed.conflist",
    "01-future.conflist",
    "02-noname.conflist",
    "03-notype.conflist",
    "04-badtypes.conflist",
  ]);
  assertEquals(bad.errors.map((e) => e.error.code), [6, 1, 7, 7, 7]);
});

Deno.test("loadConfList() skips a FIFO, a device link and a directory named *.conf", () => {
  withTempDir({
    "50-good.conf": '{"cniVersion":"1.0.0","name":"good","type":"loopback"}',
  }, (dir) => {
    const fifo = join(dir, "10-fifo.conf");
    const mk = new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    assertEquals(mk.code, 0);
    Deno.symlinkSync("/dev/zero", join(dir, "20-zero.conf"));
    Deno.symlinkSync("/dev/zero", join(dir, "21-zero.conflist"));
    Deno.mkdirSync(join(dir, "30-dir.conflist"));
    Deno.symlinkSync(join(dir, "30-dir.conflist"), join(dir, "31-dirlink.conf"));
    // none of them hangs or reads without limit; the good network still loads
    assertEquals(loadConfList(dir, "good").plugins[0]?.network.type, "loopback");
    const { networks, errors } = listNetworks(dir);
    assertEquals(networks.map((n) => n.name), ["good"]);
    assertEquals(
      errors.map((e) => [e.file.slice(dir.length + 1), e.error.code]).sort(),
      [["10-fifo.conf", 5], ["20-zero.conf", 5], ["21-zero.conflist", 5], ["31-dirlink.conf", 5]],
    );
    assertStringIncludes(errors.find((e) => e.file === fifo)!.error.message, "a FIFO");
    const missing = assertThrows(() => loadConfList(dir, "other"), ConfigNotFoundError);
    assertStringIncludes(missing.details, "20-zero.conf");
  });
});

Deno.test("loadConfList() refuses an oversized file and still finds the good network", () => {
  const big = JSON.stringify({
    cniVersion: "1.0.0",
    name: "good",
    type: "loopback",
    pad: "x".repeat(1024 * 1024),
  });
  withTempDir({
    "10-big.conf": big,
    "50-good.conf": '{"cniVersion":"1.0.0","name":"good","type":"loopback"}',
  }, (dir) => {
    assertEquals(loadConfList(dir, "good").name, "good");
    const { errors } = listNetworks(dir);
    assertEquals(errors.length, 1);
    assertStringIncludes(errors[0]!.error.message, "larger than 1024 KiB");
  });
});
