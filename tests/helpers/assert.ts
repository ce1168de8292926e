// std-like assertions on top of node:assert/strict (JSR's @std/assert is out of reach here).
import nodeAssert from "node:assert/strict";

/** Asserts that `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Deep, strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** Asserts that `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(text, pattern, message);
}

/** Asserts that `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  nodeAssert.ok(
    text.includes(part),
    message ?? `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E> = new (...args: any[]) => E;

/** Asserts that `fn` throws (an instance of `cls`, when given) and returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  cls?: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    if (cls && !(err instanceof cls)) {
      throw new nodeAssert.AssertionError({ message: `expected ${cls.name}, got ${String(err)}` });
    }
    if (includes && !String((err as Error).message).includes(includes)) {
      throw new nodeAssert.AssertionError({
        message: `expected message to include ${JSON.stringify(includes)}, got ${
          JSON.stringify((err as Error).message)
        }`,
      });
    }
    return err as E;
  }
  throw new nodeAssert.AssertionError({ message: "expected function to throw" });
}

/** Asserts that the promise from `fn` rejects (with an instance of `cls`) and returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  cls?: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    if (cls && !(err instanceof cls)) {
      throw new nodeAssert.AssertionError({ message: `expected ${cls.name}, got ${String(err)}` });
    }
    if (includes && !String((err as Error).message).includes(includes)) {
      throw new nodeAssert.AssertionError({
        message: `expected message to include ${JSON.stringify(includes)}, got ${
          JSON.stringify((err as Error).message)
        }`,
      });
    }
    return err as E;
  }
  throw new nodeAssert.AssertionError({ message: "expected promise to reject" });
}

/** True when the tests run as root (privileged tests are skipped otherwise). */
export const IS_ROOT: boolean = Deno.uid() === 0;
