import type { ChalkInstance } from "chalk";

/**
 * Terminal colours. The decision, per output stream, in this order: `--no-color` turns them
 * off; then `FORCE_COLOR` decides when set (`0` or `false`: off, anything else: on, even into a
 * pipe); then `NO_COLOR` set to anything non-empty turns them off (no-color.org); otherwise a
 * terminal gets colours unless it is `TERM=dumb`, and a pipe or file never does.
 */
export function colorFor(flag: boolean, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!flag) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  if (env.NO_COLOR) return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

export type Color = "red" | "green" | "yellow" | "cyan" | "dim" | "bold";

/**
 * chalk, loaded only when some output will be coloured (main calls loadColors before the
 * command runs): importing it costs start-up time that piped and scripted runs need not pay.
 */
let chalk: ChalkInstance | undefined;

export async function loadColors(): Promise<void> {
  const { Chalk } = await import("chalk");
  // The decision is colorFor's; chalk only styles. Basic colours are all mlf uses.
  chalk ??= new Chalk({ level: 1 });
}

/** `text` in `color` when `on` (and chalk was loaded), else as it is. */
export function colorize(on: boolean, color: Color, text: string): string {
  return on && chalk ? chalk[color](text) : text;
}
