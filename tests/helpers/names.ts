/**
 * Unique names for what a test creates (namespaces, links, chains, container IDs), so tests
 * running side by side never touch each other's objects.
 *
 * @module
 */

/**
 * A random lower-case hex suffix.
 *
 * @param n Number of hex digits.
 * @returns The suffix.
 */
export function rand(n = 6): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2))),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("").slice(0, n);
}
