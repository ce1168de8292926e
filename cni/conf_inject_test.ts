import { join } from "node:path";
import { assertEquals, assertThrows } from "../tests/helpers/assert.ts";
import { parseConfList } from "./conf.ts";
import { loadConfList } from "./conf_files.ts";
import { buildPluginConfig, injectConf } from "./conf_inject.ts";
import { CniError } from "./errors.ts";

const FIXTURES = new URL("../tests/fixtures/conf/", import.meta.url).pathname;
const GOOD = join(FIXTURES, "good");
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

const RT = {
  containerId: "c1",
  netns: "/var/run/netns/blue",
  ifName: "eth0",
  args: [["K8S_POD_NAME", "web"]] as [string, string][],
  capabilityArgs: {
    mac: "00:11:22:33:44:66",
    portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
  },
};

Deno.test("buildPluginConfig() produces the Appendix C.1 request bytes", () => {
  const list = loadConfList(GOOD, "dbnet");
  assertEquals(
    text(buildPluginConfig(list, list.plugins[0]!, RT)),
    '{"bridge":"cni0","cniVersion":"1.1.0","ipam":{"subnet":"10.1.0.0/16","type":"host-local"},' +
      '"name":"dbnet","type":"bridge"}',
  );
  const prev = {
    cniVersion: "1.1.0",
    interfaces: [{ name: "cni0", mac: "aa:bb:cc:dd:ee:ff" }],
    ips: [{ address: "10.1.0.5/16", gateway: "10.1.0.1", interface: 0 }],
  };
  assertEquals(
    text(buildPluginConfig(list, list.plugins[1]!, RT, prev)),
    '{"capabilities":{"mac":true},"cniVersion":"1.1.0","name":"dbnet","prevResult":' +
      '{"cniVersion":"1.1.0","interfaces":[{"mac":"aa:bb:cc:dd:ee:ff","name":"cni0"}],' +
      '"ips":[{"address":"10.1.0.5/16","gateway":"10.1.0.1","interface":0}]},' +
      '"runtimeConfig":{"mac":"00:11:22:33:44:66"},"sysctl":{"net.core.somaxconn":"500"},' +
      '"type":"tuning"}',
  );
});

Deno.test("buildPluginConfig() keeps a 0.x prevResult in struct order unless runtimeConfig is added", () => {
  const list = parseConfList(
    '{"cniVersion":"0.4.0","name":"n","plugins":[{"type":"a"},' +
      '{"type":"b","capabilities":{"mac":true}}]}',
  );
  const prev = { cniVersion: "0.4.0", ips: [{ version: "4", address: "10.0.0.2/24" }] };
  assertEquals(
    text(buildPluginConfig(list, list.plugins[0]!, RT, prev)),
    '{"cniVersion":"0.4.0","name":"n","prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4",' +
      '"address":"10.0.0.2/24"}],"dns":{}},"type":"a"}',
  );
  assertEquals(
    text(buildPluginConfig(list, list.plugins[1]!, RT, prev)),
    '{"capabilities":{"mac":true},"cniVersion":"0.4.0","name":"n","prevResult":{"cniVersion":' +
      '"0.4.0","dns":{},"ips":[{"address":"10.0.0.2/24","version":"4"}]},"runtimeConfig":' +
      '{"mac":"00:11:22:33:44:66"},"type":"b"}',
  );
});

Deno.test("buildPluginConfig() filters capabilities (edge case 22)", () => {
  const list = parseConfList(
    '{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"p","name":"own","cniVersion":"0.1.0",' +
      '"capabilities":{"portMappings":true,"noCapability":false}},' +
      '{"type":"q","capabilities":{"other":true},"runtimeConfig":{"keep":1}}]}',
  );
  const rt = {
    ...RT,
    capabilityArgs: { portMappings: [1], noCapability: "x", notAdded: true },
  };
  const first = JSON.parse(text(buildPluginConfig(list, list.plugins[0]!, rt)));
  assertEquals(first, {
    capabilities: { noCapability: false, portMappings: true },
    cniVersion: "1.0.0",
    name: "net",
    runtimeConfig: { portMappings: [1] },
    type: "p",
  });
  assertEquals(
    text(buildPluginConfig(list, list.plugins[1]!, rt)),
    '{"capabilities":{"other":true},"cniVersion":"1.0.0","name":"net","runtimeConfig":' +
      '{"keep":1},"type":"q"}',
  );
});

Deno.test("buildPluginConfig() injects GC keys; injectConf() refuses nil values", () => {
  const list = parseConfList('{"cniVersion":"1.1.0","name":"n","plugins":[{"type":"a"}]}');
  const att = [{ containerID: "c2", ifname: "eth0" }];
  assertEquals(
    text(buildPluginConfig(list, list.plugins[0]!, undefined, undefined, {
      "cni.dev/valid-attachments": att,
      "cni.dev/attachments": att,
    })),
    '{"cni.dev/attachments":[{"containerID":"c2","ifname":"eth0"}],' +
      '"cni.dev/valid-attachments":[{"containerID":"c2","ifname":"eth0"}],' +
      '"cniVersion":"1.1.0","name":"n","type":"a"}',
  );
  const bytes = list.plugins[0]!.bytes;
  assertThrows(() => injectConf(bytes, { x: null }), CniError, "key 'x' value must not be nil");
  assertThrows(() => injectConf(bytes, { "": 1 }), CniError, "keys cannot be empty");
  const bad = assertThrows(
    () => buildPluginConfig(list, list.plugins[0]!, RT, { cniVersion: "1.0.0", ips: [{}] }),
    CniError,
  );
  assertEquals(bad.code, 6);
});
