/**
 * containerd 1.6 and `ctr run --cni`, isolated in a {@linkcode RuntimeHost}. `ctr` reads the
 * fixed paths `/etc/cni/net.d` and `/opt/cni/bin`; in the sandbox both are fresh tmpfs, so our
 * plugins (installed with `cnitool install --dir /opt/cni/bin`) and our network config go there
 * without the machine's own directories being touched. containerd gets its own config (root,
 * state, socket in the sandbox, the CRI plugin off), the `native` snapshotter, and the busybox
 * image imported from a hand-built OCI archive (no registry).
 *
 * @module
 */
import { launcherDir } from "../../helpers/launchers.ts";
import { writeOciArchive, writeRootfsTar } from "./busybox_image.ts";
import {
  childOf,
  type HostRun,
  type HostRunOptions,
  openRuntimeHost,
  type RuntimeHost,
} from "./runtime_host.ts";

/** The image the containerd tests run. */
export const CTR_IMAGE = "localhost/denocni-busybox:latest";

/** The containerd namespace the tests use. */
export const CTR_NAMESPACE = "denocni-rt";

/** The network in `/etc/cni/net.d` (inside the sandbox). */
export const CTR_NETWORK = {
  name: "denocni-ctr",
  bridge: "denocni-ctr0",
  subnet: "10.91.3.0/24",
  gateway: "10.91.3.1",
};

/** Programs (and their Debian packages) the containerd tier needs. */
export const CONTAINERD_PROGRAMS: Record<string, string> = {
  containerd: "containerd",
  ctr: "containerd",
  "containerd-shim-runc-v2": "containerd",
  runc: "runc",
  iptables: "iptables",
  nsenter: "util-linux",
  tar: "tar",
};

/** containerd in a sandbox. */
export interface ContainerdHost extends AsyncDisposable {
  /** The sandbox. */
  host: RuntimeHost;
  /** Runs `ctr --address <sock> --namespace denocni-rt <args>`. */
  ctr(args: string[], opts?: HostRunOptions): Promise<HostRun>;
  /** Flags of `ctr run` for a container named `id`: `--cni`, snapshotter, cgroup. */
  runFlags(id: string): string[];
  /** Stops containerd and closes the sandbox; returns cleanup problems. */
  close(): Promise<string[]>;
}

const BASE = "/var/lib/denocni-rt/containerd";
const SOCKET = "/run/denocni-rt/containerd.sock";

const CONFIG_TOML = `version = 2
root = "${BASE}/root"
state = "/run/denocni-rt/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "${SOCKET}"

[ttrpc]
  address = "${SOCKET}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""
`;

function conflist(): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: CTR_NETWORK.name,
      plugins: [
        {
          type: "bridge",
          bridge: CTR_NETWORK.bridge,
          isGateway: true,
          ipMasq: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: CTR_NETWORK.subnet, gateway: CTR_NETWORK.gateway }]],
            routes: [{ dst: "0.0.0.0/0" }],
          },
        },
        { type: "loopback" },
      ],
    },
    null,
    2,
  );
}

/**
 * Starts a sandbox with our plugins and network config in the paths `ctr` reads, starts
 * containerd in it and imports the image.
 *
 * @returns containerd, ready; close it in `finally` (or `await using`).
 */
export async function startContainerd(): Promise<ContainerdHost> {
  const host = await openRuntimeHost();
  let daemon: Deno.ChildProcess | undefined;
  const ctr: ContainerdHost["ctr"] = (args, opts) =>
    host.run(["ctr", "--address", SOCKET, "--namespace", CTR_NAMESPACE, ...args], opts);

  async function stop(): Promise<string[]> {
    const problems: string[] = [];
    if (!daemon) return problems;
    // Tasks and containers a failed test left: kill and remove them while containerd runs.
    const ids = await ctr(["containers", "list", "--quiet"], { check: false });
    for (const id of ids.stdout.split("\n").map((l) => l.trim()).filter(Boolean)) {
      await ctr(["tasks", "kill", "--signal", "SIGKILL", id], { check: false });
      await ctr(["tasks", "delete", "--force", id], { check: false });
      await ctr(["containers", "delete", id], { check: false });
    }
    // nsenter forked containerd (for the PID namespace) and does not pass signals on.
    let pid: number | undefined;
    try {
      pid = childOf(daemon.pid);
      Deno.kill(pid, "SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        if (pid !== undefined) Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }, 5000);
    const status = await daemon.status;
    clearTimeout(timer);
    if (status.code !== 0 && status.code !== 143) {
      problems.push(`containerd ended with ${status.code} (SIGKILL after 5 s?)`);
    }
    daemon = undefined;
    return problems;
  }

  try {
    await Deno.mkdir(`${host.root}${BASE}/image`, { recursive: true });
    await Deno.writeTextFile(`${host.root}${BASE}/config.toml`, CONFIG_TOML);
    const cnitool = `${await launcherDir()}/cnitool`;
    await host.run([cnitool, "install", "--dir", "/opt/cni/bin"]);
    await Deno.writeTextFile(`${host.root}/etc/cni/net.d/10-denocni-ctr.conflist`, conflist());
    daemon = host.spawn([
      "sh",
      "-c",
      `mkdir -p /run/denocni-rt && exec containerd --config ${BASE}/config.toml >>${BASE}/containerd.log 2>&1`,
    ]);
    let up = false;
    for (let i = 0; i < 150 && !up; i++) {
      up = (await ctr(["version"], { check: false })).code === 0;
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) {
      const log = await Deno.readTextFile(`${host.root}${BASE}/containerd.log`).catch(() => "");
      throw new Error(`containerd did not come up:\n${log.slice(-2000)}`);
    }
    const work = `${host.root}${BASE}/image`;
    const archive = await writeOciArchive(await writeRootfsTar(work), CTR_IMAGE, work);
    await ctr(["images", "import", "--snapshotter", "native", archive.slice(host.root.length)]);
  } catch (err) {
    await stop();
    await host.close();
    throw err;
  }

  let closed: Promise<string[]> | undefined;
  const close = async (): Promise<string[]> => [...await stop(), ...await host.close()];
  return {
    host,
    ctr,
    runFlags: (
      id,
    ) => ["--cni", "--snapshotter", "native", "--cgroup", `${host.cgroupParent}/${id}`],
    close() {
      closed ??= close();
      return closed;
    },
    async [Symbol.asyncDispose]() {
      closed ??= close();
      const problems = await closed;
      if (problems.length > 0) {
        throw new Error(`containerd sandbox cleanup: ${problems.join("; ")}`);
      }
    },
  };
}
