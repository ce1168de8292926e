/**
 * A container image made offline from Debian's `busybox-static`: a root file system holding
 * `/bin/busybox` and symlinks for the applets the tests use, as a plain tarball (for
 * `podman import`) and as an OCI image layout archive built by hand (for `ctr image import`).
 *
 * @module
 */
import { join } from "node:path";

/** Where `busybox-static` installs the binary. */
export const BUSYBOX = "/bin/busybox";

/** The applets linked into the image's `/bin`. */
export const APPLETS: readonly string[] = [
  "sh",
  "ip",
  "ping",
  "nc",
  "httpd",
  "sleep",
  "cat",
  "ls",
  "echo",
  "true",
  "wget",
  "hostname",
];

/** What the image's web root serves at `/`. */
export const INDEX_HTML = "hello from denocni\n";

const PT_INTERP = 3;

/** The OCI architecture name of this machine. */
export const OCI_ARCH: string = ({ x86_64: "amd64", aarch64: "arm64" } as Record<string, string>)[
  Deno.build.arch
] ?? Deno.build.arch;

/**
 * Why the busybox binary cannot make an image, or undefined when it can: it must exist and be
 * statically linked (an ELF without a program interpreter), since the image holds no libraries.
 *
 * @param path The binary.
 * @returns The reason, or undefined.
 */
export function busyboxProblem(path = BUSYBOX): string | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return `${path} missing (apt-get install busybox-static)`;
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 64 || v.getUint32(0) !== 0x7f454c46 || bytes[4] !== 2) {
    return `${path} is not a 64-bit ELF`;
  }
  const phoff = Number(v.getBigUint64(32, true));
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  for (let i = 0; i < phnum; i++) {
    if (v.getUint32(phoff + i * phentsize, true) === PT_INTERP) {
      return `${path} is dynamically linked (apt-get install busybox-static)`;
    }
  }
  return undefined;
}

async function tar(dir: string, out: string): Promise<void> {
  const res = await new Deno.Command("tar", {
    args: ["-C", dir, "--owner=0", "--group=0", "--numeric-owner", "-cf", out, "."],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!res.success) throw new Error(`tar failed: ${new TextDecoder().decode(res.stderr)}`);
}

/**
 * Writes the root file system tarball.
 *
 * @param workDir An empty scratch directory (the tree is built under it).
 * @returns Path of the tarball.
 */
export async function writeRootfsTar(workDir: string): Promise<string> {
  const rootfs = join(workDir, "rootfs");
  for (const d of ["bin", "etc", "proc", "sys", "dev", "tmp", "www", "root"]) {
    await Deno.mkdir(join(rootfs, d), { recursive: true });
  }
  await Deno.copyFile(BUSYBOX, join(rootfs, "bin/busybox"));
  await Deno.chmod(join(rootfs, "bin/busybox"), 0o755);
  for (const a of APPLETS) await Deno.symlink("busybox", join(rootfs, "bin", a));
  await Deno.writeTextFile(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  await Deno.writeTextFile(join(rootfs, "etc/group"), "root:x:0:\n");
  await Deno.writeTextFile(join(rootfs, "www/index.html"), INDEX_HTML);
  const out = join(workDir, "rootfs.tar");
  await tar(rootfs, out);
  return out;
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Wraps a root file system tarball as a one-layer OCI image layout archive named `name`
 * (`io.containerd.image.name`), which `ctr image import` reads.
 *
 * @param rootfsTar The layer (an uncompressed tarball).
 * @param name Full image reference, e.g. `localhost/denocni-busybox:latest`.
 * @param workDir Scratch directory.
 * @returns Path of the archive.
 */
export async function writeOciArchive(
  rootfsTar: string,
  name: string,
  workDir: string,
): Promise<string> {
  const layout = join(workDir, "oci");
  const blobs = join(layout, "blobs/sha256");
  await Deno.mkdir(blobs, { recursive: true });
  const enc = new TextEncoder();
  async function blob(bytes: Uint8Array<ArrayBuffer>): Promise<{ digest: string; size: number }> {
    const hex = await sha256Hex(bytes);
    await Deno.writeFile(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  }
  const layer = await blob(await Deno.readFile(rootfsTar));
  const config = await blob(enc.encode(JSON.stringify({
    architecture: OCI_ARCH,
    os: "linux",
    config: { Env: ["PATH=/bin"], WorkingDir: "/" },
    rootfs: { type: "layers", diff_ids: [layer.digest] },
  })));
  const manifest = await blob(enc.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
  })));
  await Deno.writeTextFile(
    join(layout, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        ...manifest,
        annotations: {
          "io.containerd.image.name": name,
          "org.opencontainers.image.ref.name": name.split(":").at(-1),
        },
      }],
    }),
  );
  await Deno.writeTextFile(
    join(layout, "oci-layout"),
    JSON.stringify({ imageLayoutVersion: "1.0.0" }),
  );
  const out = join(workDir, "image-oci.tar");
  await tar(layout, out);
  return out;
}
