/**
 * POSIX path helpers with `node:path` semantics for the few functions we use. They exist so the
 * plugin start-up path does not load Deno's Node compatibility layer (`node:path` alone costs
 * several milliseconds per process start).
 *
 * @module
 */

/**
 * Normalises a POSIX path like `path.posix.normalize` (`.`/`..` segments, repeated slashes,
 * a trailing slash kept).
 *
 * @param path The path.
 * @returns The normalised path (`.` for an empty one).
 */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  const segs: string[] = [];
  for (const s of path.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") {
      if (segs.length > 0 && segs[segs.length - 1] !== "..") segs.pop();
      else if (!absolute) segs.push("..");
      continue;
    }
    segs.push(s);
  }
  let out = segs.join("/");
  if (absolute) out = "/" + out;
  else if (out === "") out = ".";
  if (trailing && out !== "/") out += "/";
  return out;
}

/**
 * Joins path segments like `path.posix.join`.
 *
 * @param parts Segments (empty ones are skipped).
 * @returns The normalised joined path.
 */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

function stripTrailing(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  return path.slice(0, end);
}

/**
 * The directory part of a path like `path.posix.dirname`.
 *
 * @param path The path.
 * @returns The directory (`.` when there is none, `/` for the root).
 */
export function dirname(path: string): string {
  if (path === "") return ".";
  const p = stripTrailing(path);
  const at = p.lastIndexOf("/");
  if (at < 0) return ".";
  if (at === 0) return "/";
  return p.slice(0, at);
}

/**
 * The last segment of a path like `path.posix.basename` (without the suffix argument).
 *
 * @param path The path.
 * @returns The last segment.
 */
export function basename(path: string): string {
  const p = stripTrailing(path);
  if (p === "/") return "";
  return p.slice(p.lastIndexOf("/") + 1);
}

/**
 * Resolves segments to an absolute path like `path.posix.resolve` (from the current directory).
 *
 * @param parts Segments; a later absolute one restarts the path.
 * @returns The absolute path without a trailing slash.
 */
export function resolve(...parts: string[]): string {
  let out = "";
  for (let i = parts.length - 1; i >= 0 && !out.startsWith("/"); i--) {
    const p = parts[i]!;
    if (p === "") continue;
    out = out === "" ? p : `${p}/${out}`;
  }
  if (!out.startsWith("/")) out = out === "" ? Deno.cwd() : `${Deno.cwd()}/${out}`;
  const n = normalize(out);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}
