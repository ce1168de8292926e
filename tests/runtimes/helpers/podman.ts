/**
 * Podman 4 with its CNI network backend, isolated in a {@linkcode RuntimeHost}: its own
 * `containers.conf` and `storage.conf` (`CONTAINERS_CONF`, `CONTAINERS_STORAGE_CONF`), `vfs`
 * storage under its own `--root`/`--runroot`, its own network config dir, runc, cgroupfs with
 * every container under the sandbox's cgroup, no journald (k8s-file logs, no events), and a
 * busybox image imported from a tarball (no registry).
 *
 * The CNI plugins are ours, installed with `cnitool install --dir`: every plugin of Podman's
 * default chain (`bridge`, `host-local`, `portmap`, `firewall`, `tuning`) is ours. A second
 * plugin dir, after ours, holds links to the Debian binaries of {@linkcode BORROWED_PLUGINS}
 * (none now); no other Go plugin is reachable.
 *
 * @module
 */
import { REF_DIR } from "../../helpers/reference.ts";
import { launcherDir } from "../../helpers/launchers.ts";
import { writeRootfsTar } from "./busybox_image.ts";
import {
  type HostRun,
  type HostRunOptions,
  openRuntimeHost,
  type RuntimeHost,
} from "./runtime_host.ts";

/** The image every Podman test runs. */
export const PODMAN_IMAGE = "localhost/denocni-busybox:latest";

/** Where the Debian reference plugins live. */
export const GO_PLUGIN_DIR: string = REF_DIR;

/** The Debian plugins Podman's default network needs that denocni does not provide. */
export const BORROWED_PLUGINS: readonly string[] = [];

/** Programs (and their Debian packages) the Podman tier needs. */
export const PODMAN_PROGRAMS: Record<string, string> = {
  podman: "podman",
  runc: "runc",
  conmon: "conmon",
  iptables: "iptables",
  nsenter: "util-linux",
  tar: "tar",
};

/** Which plugins Podman runs. */
export type PluginSet = "ours" | "go";

/** Podman in a sandbox. */
export interface PodmanHost extends AsyncDisposable {
  /** The sandbox. */
  host: RuntimeHost;
  /** Sandbox path of our installed plugins. */
  ourDir: string;
  /** Sandbox path of the links to the borrowed Debian plugins. */
  borrowedDir: string;
  /** Sandbox path of Podman's network config dir. */
  netConfDir: string;
  /** Flags every `podman run`/`create` gets (the sandbox's cgroup parent). */
  runFlags: string[];
  /** Runs `podman <args>` with our plugins (or, with `plugins: "go"`, the Debian ones). */
  podman(args: string[], opts?: HostRunOptions & { plugins?: PluginSet }): Promise<HostRun>;
  /** `podman run <runFlags> <args>`. */
  run(args: string[], opts?: HostRunOptions & { plugins?: PluginSet }): Promise<HostRun>;
  /** Removes every container, then closes the sandbox; returns cleanup problems. */
  close(): Promise<string[]>;
}

const BASE = "/var/lib/denocni-rt/podman";

function containersConf(pluginDirs: string[]): string {
  return `[containers]
cgroups = "no-conmon"
default_sysctls = ["net.ipv4.ping_group_range=0 0"]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
log_driver = "k8s-file"

[network]
network_backend = "cni"
cni_plugin_dirs = ${JSON.stringify(pluginDirs)}
network_config_dir = "${BASE}/net.d"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "runc"
tmp_dir = "${BASE}/tmp"
image_copy_tmp_dir = "/var/tmp"
`;
}

const STORAGE_CONF = `[storage]
driver = "vfs"
graphroot = "${BASE}/storage"
runroot = "${BASE}/run"
`;

/**
 * Starts a sandbox, installs our plugins into it, configures Podman and imports the image.
 *
 * @returns Podman, ready; close it in `finally` (or `await using`).
 */
export async function startPodman(): Promise<PodmanHost> {
  const host = await openRuntimeHost();
  try {
    const ourDir = `${BASE}/cni-bin`;
    const borrowedDir = `${BASE}/cni-borrowed`;
    const netConfDir = `${BASE}/net.d`;
    await Deno.mkdir(`${host.root}${BASE}/image`, { recursive: true });
    await Deno.mkdir(`${host.root}${borrowedDir}`, { recursive: true });
    await Deno.mkdir(`${host.root}${netConfDir}`, { recursive: true });
    const cnitool = `${await launcherDir()}/cnitool`;
    await host.run([cnitool, "install", "--dir", ourDir]);
    for (const p of BORROWED_PLUGINS) {
      await Deno.symlink(`${GO_PLUGIN_DIR}/${p}`, `${host.root}${borrowedDir}/${p}`);
    }
    await Deno.writeTextFile(
      `${host.root}${BASE}/containers.conf`,
      containersConf([ourDir, borrowedDir]),
    );
    await Deno.writeTextFile(
      `${host.root}${BASE}/containers-go.conf`,
      containersConf([GO_PLUGIN_DIR]),
    );
    await Deno.writeTextFile(`${host.root}${BASE}/storage.conf`, STORAGE_CONF);
    const tarball = await writeRootfsTar(`${host.root}${BASE}/image`);
    const runFlags = ["--cgroup-parent", host.cgroupParent];

    const podman: PodmanHost["podman"] = (args, opts = {}) => {
      const conf = opts.plugins === "go" ? "containers-go.conf" : "containers.conf";
      return host.run(
        [
          "podman",
          "--root",
          `${BASE}/storage`,
          "--runroot",
          `${BASE}/run`,
          "--network-config-dir",
          netConfDir,
          ...args,
        ],
        {
          ...opts,
          env: {
            CONTAINERS_CONF: `${BASE}/${conf}`,
            CONTAINERS_STORAGE_CONF: `${BASE}/storage.conf`,
            ...opts.env,
          },
        },
      );
    };
    await podman(["import", tarball.slice(host.root.length), PODMAN_IMAGE]);

    let closed: Promise<string[]> | undefined;
    const close = async (): Promise<string[]> => {
      const problems: string[] = [];
      const rm = await podman(["rm", "--all", "--force", "--time", "0"], { check: false });
      if (rm.code !== 0) problems.push(`podman rm --all: ${rm.stderr.trim()}`);
      problems.push(...await host.close());
      return problems;
    };
    return {
      host,
      ourDir,
      borrowedDir,
      netConfDir,
      runFlags,
      podman,
      run: (args, opts) => podman(["run", ...runFlags, ...args], opts),
      close() {
        closed ??= close();
        return closed;
      },
      async [Symbol.asyncDispose]() {
        closed ??= close();
        const problems = await closed;
        if (problems.length > 0) throw new Error(`podman sandbox cleanup: ${problems.join("; ")}`);
      },
    };
  } catch (err) {
    await host.close();
    throw err;
  }
}
