import { MlfError } from "../errors.js";

/**
 * MLflow's run search grammar: `metrics.auc > 0.8 and params.model = 'lr'`. Clauses joined by
 * AND (no OR, as in MLflow); keys are `metrics.`, `params.`, `tags.` or `attributes.` plus a
 * name, bare or quoted with backticks or double quotes; strings in single or double quotes.
 */

export type KeyKind = "metric" | "param" | "tag" | "attribute";
export interface SearchKey {
  kind: KeyKind;
  name: string;
}
export type Comparator = "=" | "!=" | "<" | "<=" | ">" | ">=" | "LIKE" | "ILIKE" | "IN" | "NOT IN";
export interface Clause {
  key: SearchKey;
  comparator: Comparator;
  value: number | string | string[];
}
export interface OrderBy {
  key: SearchKey;
  ascending: boolean;
}

const prefixes: Record<string, KeyKind> = {
  metric: "metric", metrics: "metric",
  param: "param", params: "param", parameter: "param", parameters: "param",
  tag: "tag", tags: "tag",
  attribute: "attribute", attributes: "attribute", attr: "attribute", run: "attribute",
};
/** Attributes MLflow searches, with `created` as its alias of start_time. */
export const numericAttributes = new Set(["start_time", "end_time", "created"]);
export const stringAttributes = new Set(["run_id", "run_name", "status", "user_id", "artifact_uri", "lifecycle_stage", "experiment_id"]);

/**
 * What one search accepts. Runs take prefixed keys only; MLflow's experiment and registry
 * searches take bare attribute names (`name LIKE 'x%'`) and `tags.` keys.
 */
export interface Grammar {
  kinds: Set<KeyKind>;
  numeric: Set<string>;
  strings: Set<string>;
  /** Attributes may be written without `attributes.` (`name = 'm'`). */
  bare: boolean;
}
export const runGrammar: Grammar = { kinds: new Set(["metric", "param", "tag", "attribute"]), numeric: numericAttributes, strings: stringAttributes, bare: false };

type Token = { type: "word" | "string" | "quoted_key" | "number" | "op" | "punct"; text: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(`[^`]*`)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?(?![\w.]))|(!=|<>|<=|>=|=|<|>)|([(),])|([\w.\-/:]+))/iy;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw syntax(text, at, "unexpected character");
    const start = at + (m[0].length - m[0].trimStart().length);
    if (m[1]) tokens.push({ type: "quoted_key", text: m[1].slice(1, -1), at: start });
    else if (m[2]) tokens.push({ type: "string", text: m[2].slice(1, -1).replace(/\\(.)/g, "$1"), at: start });
    else if (m[3]) tokens.push({ type: "number", text: m[3], at: start });
    else if (m[4]) tokens.push({ type: "op", text: m[4] === "<>" ? "!=" : m[4], at: start });
    else if (m[5]) tokens.push({ type: "punct", text: m[5], at: start });
    else tokens.push({ type: "word", text: m[6]!, at: start });
    at = re.lastIndex;
  }
  return tokens;
}

function syntax(text: string, at: number, what: string): MlfError {
  return new MlfError("invalid_argument", `Invalid filter "${text}" at position ${at + 1}: ${what}; write clauses like "metrics.auc > 0.8 and params.model = 'lr'".`);
}

class Parser {
  private i = 0;
  constructor(private readonly text: string, private readonly tokens: Token[], private readonly grammar: Grammar) {}
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(what: string): Token {
    const t = this.tokens[this.i++];
    if (!t) throw syntax(this.text, this.text.length, `expected ${what} at the end`);
    return t;
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
  fail(t: Token | undefined, what: string): MlfError {
    return syntax(this.text, t?.at ?? this.text.length, what);
  }

  /** `prefix.name`, `prefix.\`name\``, `prefix."name"`. */
  key(): SearchKey {
    const t = this.next("a key such as metrics.auc");
    if (t.type !== "word") throw this.fail(t, `expected a key such as metrics.auc, got "${t.text}"`);
    const g = this.grammar;
    if (g.bare && (g.strings.has(t.text) || g.numeric.has(t.text))) return { kind: "attribute", name: t.text };
    const dot = t.text.indexOf(".");
    const prefix = (dot < 0 ? t.text : t.text.slice(0, dot)).toLowerCase();
    const kind = prefixes[prefix];
    if (!kind || !g.kinds.has(kind)) {
      const known = g.bare ? `${[...g.strings, ...g.numeric].join(", ")} or tags.<key>` : "metrics., params., tags. or attributes.";
      throw this.fail(t, `"${t.text}" is not a key here; use ${known}`);
    }
    let name = dot < 0 ? "" : t.text.slice(dot + 1);
    if (name === "") {
      const quoted = this.next("a quoted key name");
      if (quoted.type !== "quoted_key" && quoted.type !== "string") throw this.fail(quoted, "expected a key name after the prefix");
      if (quoted.type === "string" && this.text[quoted.at] === "'") throw this.fail(quoted, "quote key names with backticks or double quotes, not single quotes");
      name = quoted.text;
    }
    if (kind === "attribute" && !g.numeric.has(name) && !g.strings.has(name)) {
      throw this.fail(t, `unknown attribute "${name}" (attributes: ${[...g.strings, ...g.numeric].join(", ")})`);
    }
    return { kind, name };
  }

  comparator(): Comparator {
    const t = this.next("a comparator");
    if (t.type === "op") return t.text as Comparator;
    const word = t.text.toUpperCase();
    if (t.type === "word" && (word === "LIKE" || word === "ILIKE" || word === "IN")) return word;
    if (t.type === "word" && word === "NOT") {
      const inToken = this.next("IN");
      if (inToken.text.toUpperCase() === "IN") return "NOT IN";
      throw this.fail(inToken, "expected IN after NOT");
    }
    throw this.fail(t, `expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN), got "${t.text}"`);
  }

  clause(): Clause {
    const key = this.key();
    const comparator = this.comparator();
    const numeric = key.kind === "metric" || (key.kind === "attribute" && this.grammar.numeric.has(key.name));
    if (comparator === "IN" || comparator === "NOT IN") {
      if (numeric) throw this.fail(this.peek(), `${comparator} works on params, tags and string attributes, not on ${key.kind} "${key.name}"`);
      const open = this.next("(");
      if (open.text !== "(") throw this.fail(open, "expected ( after IN");
      const values: string[] = [];
      for (;;) {
        const v = this.next("a quoted string");
        if (v.type !== "string") throw this.fail(v, "IN lists hold quoted strings");
        values.push(v.text);
        const sep = this.next(") or ,");
        if (sep.text === ")") break;
        if (sep.text !== ",") throw this.fail(sep, "expected , or )");
      }
      return { key, comparator, value: values };
    }
    const v = this.next("a value");
    if (numeric) {
      if (comparator === "LIKE" || comparator === "ILIKE") throw this.fail(v, `${comparator} compares strings; ${key.kind} "${key.name}" is a number`);
      if (v.type !== "number") throw this.fail(v, `${key.kind} "${key.name}" is compared with a number, got "${v.text}"`);
      return { key, comparator, value: Number(v.text) };
    }
    if (!["=", "!=", "LIKE", "ILIKE"].includes(comparator)) throw this.fail(v, `${key.kind} "${key.name}" is a string: use =, !=, LIKE, ILIKE or IN`);
    if (v.type !== "string") throw this.fail(v, `${key.kind} "${key.name}" is compared with a quoted string such as '${v.text}'`);
    return { key, comparator, value: v.text };
  }
}

/** Parses a filter into AND-ed clauses (an empty filter matches every run). */
export function parseFilter(text: string | undefined, grammar: Grammar = runGrammar): Clause[] {
  if (text === undefined || text.trim() === "") return [];
  const parser = new Parser(text, tokenize(text), grammar);
  const clauses = [parser.clause()];
  while (!parser.done()) {
    const t = parser.next("AND");
    if (t.type !== "word" || t.text.toUpperCase() !== "AND") {
      throw parser.fail(t, t.text.toUpperCase() === "OR" ? "OR is not supported (MLflow's grammar joins clauses with AND only)" : `expected AND, got "${t.text}"`);
    }
    clauses.push(parser.clause());
  }
  return clauses;
}

/** Parses `--order-by "metrics.auc DESC, attributes.start_time"` (ASC by default). */
export function parseOrderBy(items: string[] | string | undefined, grammar: Grammar = runGrammar): OrderBy[] {
  const list = items === undefined ? [] : Array.isArray(items) ? items : [items];
  const out: OrderBy[] = [];
  for (const item of list.flatMap((s) => s.split(/,(?=(?:[^`'"]|`[^`]*`|'[^']*'|"[^"]*")*$)/))) {
    if (item.trim() === "") continue;
    const parser = new Parser(item, tokenize(item), grammar);
    const key = parser.key();
    let ascending = true;
    if (!parser.done()) {
      const dir = parser.next("ASC or DESC").text.toUpperCase();
      if (dir !== "ASC" && dir !== "DESC") throw new MlfError("invalid_argument", `Invalid order-by "${item}": expected ASC or DESC after the key.`);
      ascending = dir === "ASC";
    }
    if (!parser.done()) throw new MlfError("invalid_argument", `Invalid order-by "${item}": write "metrics.auc DESC".`);
    out.push({ key, ascending });
  }
  return out;
}
