import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { listDefinitionFiles } from "../../src/repo/definitions.js";
import { tempDir } from "../helpers.js";

test(".mlfignore follows gitignore: globs, **, folders only with a trailing /, anchors, negation, comments", (t) => {
  const root = tempDir(t);
  const files = [
    "feature_store.yaml",
    "features.yaml",
    "drafts/old.yaml", // drafts/ : the folder is skipped
    "notes/drafts.yaml", // a file named like the folder is not
    "scratch.yaml", // **/scratch.yaml matches at the root
    "a/b/scratch.yaml", // and at any depth
    "z.bak.yaml", // *.bak.yaml
    "keep.bak.yaml", // !keep.bak.yaml brings it back
    "rootonly.yaml", // /rootonly.yaml is anchored to the root
    "sub/rootonly.yaml",
    "gen/deep/er/x.yaml", // gen/**/x.yaml
    "gen/y.yaml",
    "data/ignored.yaml", // data/ is always skipped
    ".hidden/z.yaml", // so are dot-folders
  ];
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), "entities: []\n");
  }
  writeFileSync(join(root, ".mlfignore"), ["# drafts are not applied", "drafts/", "**/scratch.yaml", "*.bak.yaml", "!keep.bak.yaml", "/rootonly.yaml", "gen/**/x.yaml", ""].join("\n"));
  assert.deepEqual(listDefinitionFiles(root), ["features.yaml", "gen/y.yaml", "keep.bak.yaml", "notes/drafts.yaml", "sub/rootonly.yaml"]);
});
