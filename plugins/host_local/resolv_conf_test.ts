import { assertEquals } from "../../tests/helpers/assert.ts";
import { parseResolvConf } from "./resolv_conf.ts";

Deno.test("parseResolvConf() reads nameserver, domain, search and options as the reference", () => {
  const text =
    "# c\n; c\n\nnameserver 1.1.1.1 ignored\nnameserver 8.8.8.8\ndomain a.com\ndomain ex.com\n" +
    "search x.com y.com\noptions ndots:2 rotate\nsortlist 1.2.3.4\nlonely\n  nameserver\t9.9.9.9\r\n";
  assertEquals(parseResolvConf(text), {
    nameservers: ["1.1.1.1", "8.8.8.8", "9.9.9.9"],
    domain: "ex.com",
    search: ["x.com", "y.com"],
    options: ["ndots:2", "rotate"],
  });
  assertEquals(parseResolvConf(""), {});
});
