// The conformance suite 0.1.16 imports `globSync` from "fs", which Node has only since 22;
// Debian's Node is 20. Resolve the suite's "fs" to a shim that adds the npm glob's globSync
// (pinned in package.json). Used as `node --import ./node20.mjs …`; a no-op on Node >= 22.
import fs from "node:fs";
import { register } from "node:module";

if (typeof fs.globSync !== "function") {
  register("./node20-hooks.mjs", import.meta.url);
}
