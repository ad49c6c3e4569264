import { MlfError } from "../errors.js";

/**
 * Names that become folder names or URI parts. They are checked before any path is built, so
 * a name can never escape `<tracking dir>/models/` (no `/`, `\`, `..`, leading dot) and never
 * makes a model URI ambiguous (no `@`, `:`).
 */
const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ALIAS_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

export function checkModelName(name: string): string {
  if (!MODEL_NAME.test(name) || name.includes("..")) {
    throw new MlfError(
      "invalid_argument",
      `"${name}" is not a valid model name; use letters, digits, "_", "-" and "." (no "/", "..", "@" or ":"), at most 128 characters.`,
    );
  }
  return name;
}

/** `latest` and `v<N>` would shadow version references (`NAME@latest`, `NAME@v3`), as in MLflow. */
export function isReservedAlias(alias: string): boolean {
  return alias.toLowerCase() === "latest" || /^v\d+$/i.test(alias);
}

export function checkAliasName(alias: string): string {
  if (isReservedAlias(alias)) {
    throw new MlfError("invalid_argument", `The alias "${alias}" is reserved ("latest" and "v<N>" name versions already); choose another name such as "champion".`);
  }
  if (!ALIAS_NAME.test(alias)) {
    throw new MlfError("invalid_argument", `"${alias}" is not a valid alias; start with a letter or "_" and use letters, digits, "_" and "-".`);
  }
  return alias;
}

/** A version number as typed by a user: a positive integer without sign or decimals. */
export function parseVersion(text: string | number, model: string): number {
  const s = String(text);
  if (!/^[1-9]\d{0,8}$/.test(s)) {
    throw new MlfError("invalid_argument", `"${s}" is not a version number of model "${model}"; versions are positive integers.`);
  }
  return Number(s);
}

/** MLflow's stages; user input is case-insensitive, stored spelled as here. */
export const stages = ["None", "Staging", "Production", "Archived"] as const;
export type Stage = (typeof stages)[number];
/** How MLflow's file store marks a soft-deleted version. */
export const DELETED_STAGE = "Deleted_Internal";

export function parseStage(text: string): Stage {
  const found = stages.find((s) => s.toLowerCase() === text.toLowerCase());
  if (!found) throw new MlfError("invalid_argument", `"${text}" is not a stage; use one of ${stages.map((s) => s.toLowerCase()).join(", ")}.`);
  return found;
}
