import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from "yaml";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import type { Problem } from "../errors.js";

/** A parsed YAML file that can say on which line any value of it was written. */
export class YamlSource {
  readonly value: unknown;
  private constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {
    this.value = doc.toJS();
  }

  /** Parses `text`; YAML syntax errors come back as problems rather than exceptions. */
  static parse(file: string, text: string): { source?: YamlSource; problems: Problem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length > 0) {
      return {
        problems: doc.errors.map((e) => ({
          file,
          line: lines.linePos(e.pos[0]).line,
          message: `is not valid YAML: ${e.message.split("\n")[0]}`,
          hint: "fix the YAML syntax",
        })),
      };
    }
    return { source: new YamlSource(file, doc, lines), problems: [] };
  }

  /**
   * The line where the value at `path` is written: for a mapping key, the key's own line
   * (so `colour: red` points at `colour`); when the path does not exist, the line of its
   * nearest ancestor that does.
   */
  lineOf(path: readonly (string | number)[]): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const parent = n === 0 ? undefined : n === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, n - 1), true);
      const last = path[n - 1];
      let node: unknown = n === 0 ? this.doc.contents : undefined;
      if (isMap(parent)) node = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key;
      else if (isSeq(parent) && typeof last === "number") node = parent.items[last];
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }

  /** `feature_views[2] (origin_delay).ttl`: where a value is, with the name of its list item. */
  private label(path: (string | number)[]): string {
    return path
      .map((p, i) => {
        if (typeof p === "string") return i === 0 ? p : `.${p}`;
        const name = (this.doc.getIn([...path.slice(0, i + 1), "name"]) as unknown) ?? undefined;
        return typeof name === "string" ? `[${p}] (${name})` : `[${p}]`;
      })
      .join("");
  }

  /** Checks the value at `path` against a schema; each violation becomes a located problem. */
  check(schema: TSchema, value: unknown, path: readonly (string | number)[] = []): Problem[] {
    const problems: Problem[] = [];
    const seen = new Set<string>();
    for (const error of Value.Errors(schema, value)) {
      // A missing key is reported once, as "required", not again as a value of the wrong type.
      if (error.value === undefined && error.type !== ValueErrorType.ObjectRequiredProperty) continue;
      const rel = error.path.split("/").slice(1).map(unescapePointer);
      const full = [...path, ...rel.map((p) => (/^\d+$/.test(p) ? Number(p) : p))];
      const problem = describe(error.schema, error.value, error.message, this.label(full), error.type);
      const key = `${full.join("/")}|${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push({ file: this.file, line: this.lineOf(full), ...problem });
    }
    return problems;
  }
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}

function describe(schema: TSchema, value: unknown, message: string, where: string, type: number): { message: string; hint?: string } {
  where ||= "the file";
  if (type === ValueErrorType.ObjectAdditionalProperties) {
    return { message: `unknown key ${where}`, hint: "remove it or check its spelling" };
  }
  if (type === ValueErrorType.ObjectRequiredProperty) {
    return { message: `${where} is required`, hint: "add it" };
  }
  const expected = (schema as { description?: string }).description ?? message.replace(/^Expected /i, "").toLowerCase();
  return { message: `${where} is ${JSON.stringify(value)}, expected ${expected}`, hint: "fix the value" };
}
