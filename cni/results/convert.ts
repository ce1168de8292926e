/**
 * Conversion between result families (Go's `pkg/types/internal/convert`): within a family a
 * result is relabelled; across families it steps through 0.3.x/0.4.0, as the converters Go
 * registers do (0.2.0 -> 1.x is 0.2.0 -> 0.4.0 -> 1.x).
 *
 * @module
 */
import { CniError, ErrorCode } from "../errors.ts";
import { copyDns } from "./common.ts";
import { familyOf, type Model } from "./create.ts";
import { from020, to020 } from "./types_040.ts";
import { from040, to040 } from "./types_100.ts";

function relabel<M extends Model>(m: M, to: string): M {
  return { ...m, cniVersion: to, dns: copyDns(m.dns) };
}

/**
 * Converts a model to `toVersion`.
 *
 * @param m The model.
 * @param toVersion The target version (`""` means 0.1.0).
 * @returns The converted model (`m` itself when the version is already right).
 * @throws {CniError} Code 1 `no converter for CNI result version X to Y` for an unknown target,
 *   `cannot convert: no valid IP addresses` when a 0.2.0 result would be empty.
 */
export function convertModel(m: Model, toVersion: string): Model {
  const to = toVersion === "" ? "0.1.0" : toVersion;
  if (m.cniVersion === to) return m;
  const target = familyOf(to);
  if (target === undefined) {
    throw new CniError(
      ErrorCode.IncompatibleCniVersion,
      `no converter for CNI result version ${m.cniVersion} to ${to}`,
    );
  }
  if (m.family === "020") {
    if (target === "020") return relabel(m, to);
    const m040 = from020(m, target === "040" ? to : "0.4.0");
    return target === "040" ? m040 : from040(m040, to);
  }
  if (m.family === "040") {
    if (target === "040") return relabel(m, to);
    if (target === "020") return to020(m, to);
    return from040(m, to);
  }
  if (target === "100") return relabel(m, to);
  const m040 = to040(m, target === "040" ? to : "0.4.0");
  return target === "040" ? m040 : to020(m040, to);
}
