// node:fs plus globSync from the npm glob package (see node20.mjs for why).
export * from "node:fs";
export { default } from "node:fs";
export { globSync } from "glob";
