import { viewJoinKeys } from "../repo/resolve.js";
import type { Definitions, FeatureView } from "../repo/types.js";
import type { OnlineTableSpec } from "./store.js";

/**
 * The online table layout of a view: its join keys with their entities' types, then its
 * features. Apply compares it with the applied layout to decide whether a table must be
 * recreated; every write and read names its table by it.
 */
export function tableSpec(defs: Definitions, view: FeatureView): OnlineTableSpec {
  return { view: view.name, keys: viewJoinKeys(defs, view).map((k) => ({ name: k.column, type: k.valueType })), features: view.schema };
}
