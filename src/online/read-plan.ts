import { resolveSelection, type FeatureSelection } from "../repo/resolve.js";
import type { Definitions, Dtype, FeatureView, ValueType } from "../repo/types.js";
import type { OnlineTableSpec } from "./store.js";
import { tableSpec } from "./table-spec.js";

/** One view's part of a read: which features, where their outputs go, which keys it needs. */
export interface ViewRead {
  view: FeatureView;
  spec: OnlineTableSpec;
  features: string[];
  dtypes: Dtype[];
  /** Index in ReadPlan.featureNames of each feature. */
  outputs: number[];
  /** The view's join keys, in spec order. */
  keys: string[];
  /** Maximum age in ms; 0 = unlimited. */
  ttlMs: number;
}

/** A resolved selection: validated once, reused for every read of the same shape. */
export interface ReadPlan {
  featureNames: string[];
  views: ViewRead[];
  /** Every join key the views need, with its declared type. */
  keyTypes: Map<string, ValueType>;
}

/** Resolves a selection of online views (see repo/resolve.ts for the rules) into per-view reads. */
export function planRead(defs: Definitions, selection: FeatureSelection): ReadPlan {
  const { views, columns, joinKeys } = resolveSelection(defs, selection, { online: true });
  return {
    featureNames: columns,
    views: views.map(({ view, features }) => {
      const spec = tableSpec(defs, view);
      return {
        view,
        spec,
        features: features.map((f) => f.name),
        dtypes: features.map((f) => f.dtype),
        outputs: features.map((f) => f.output),
        keys: spec.keys.map((k) => k.name),
        ttlMs: view.ttlSeconds * 1000,
      };
    }),
    keyTypes: new Map([...joinKeys].map(([column, key]) => [column, key.valueType])),
  };
}
