import { assertEquals, assertThrows } from "../../tests/helpers/assert.ts";
import { CniError } from "../../cni/errors.ts";
import { checkAllowlist, parseAllowlist, readAllowlist } from "./allowlist.ts";

Deno.test("parseAllowlist() trims lines, skips blanks and reads Go's leading (?i)", () => {
  const list = parseAllowlist(
    "  ^net\\.ipv4\\.conf\\.IFNAME\\.arp_notify$ \n\n\t\n(?i)^NET\\.core\\.x$\r\n",
  );
  assertEquals(list.map((e) => e.source), [
    "^net\\.ipv4\\.conf\\.IFNAME\\.arp_notify$",
    "(?i)^NET\\.core\\.x$",
  ]);
  assertEquals(list[1]!.regexp.test("net.core.x"), true);
  const err = assertThrows(() => parseAllowlist("ok\n[a-\n", "/x/allow.conf"), CniError);
  assertEquals([err.code, err.msg], [999, 'invalid sysctl allowlist entry "[a-" in /x/allow.conf']);
});

Deno.test("checkAllowlist() matches anywhere in the raw key and words a refusal as the reference", () => {
  const list = parseAllowlist("^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$\nsomaxconn");
  checkAllowlist(["net.ipv4.conf.IFNAME.arp_notify", "net.core.somaxconn"], list);
  checkAllowlist([], list);
  // Unanchored entries match inside keys; the IFNAME placeholder is matched as written.
  const err = assertThrows(
    () => checkAllowlist(["net.core.somaxconn", "net.ipv4.conf.eth0.arp_notify"], list),
    CniError,
  );
  assertEquals(err.code, 7);
  assertEquals(
    err.msg,
    "Sysctl net.ipv4.conf.eth0.arp_notify is not allowed. Only the following sysctls are " +
      "allowed: [^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$ somaxconn]",
  );
  // An empty (but present) list allows nothing.
  assertThrows(() => checkAllowlist(["net.core.somaxconn"], []), CniError);
});

Deno.test("readAllowlist() reads the file, undefined when absent, refuses a directory", () => {
  const dir = Deno.makeTempDirSync({ prefix: "tuning-allow-" });
  try {
    assertEquals(readAllowlist(`${dir}/absent.conf`), undefined);
    Deno.writeTextFileSync(`${dir}/allow.conf`, "^net\\.core\\.somaxconn$\n");
    assertEquals(readAllowlist(`${dir}/allow.conf`)!.map((e) => e.source), [
      "^net\\.core\\.somaxconn$",
    ]);
    Deno.mkdirSync(`${dir}/dir.conf`);
    assertEquals(assertThrows(() => readAllowlist(`${dir}/dir.conf`), CniError).code, 5);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
