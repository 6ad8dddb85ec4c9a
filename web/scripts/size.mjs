// Prints the gzip size of every file in dist/ and of the first load (index.html and what it
// references: entry script, stylesheets, module preloads); exits 1 above the 200 KB budget.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 200 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
const gz = (p) => gzipSync(readFileSync(p), { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(1).padStart(7) + " KB";

const html = readFileSync(join(dist, "index.html"), "utf8");
const referenced = new Set(["index.html"]);
for (const m of html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)) referenced.add(m[1]);

let first = 0;
console.log("file                                         raw       gzip   first load");
for (const p of files(dist).sort()) {
  const rel = relative(dist, p);
  const size = gz(p);
  const isFirst = referenced.has(rel);
  if (isFirst) first += size;
  console.log(`${rel.padEnd(40)} ${kb(statSync(p).size)} ${kb(size)}   ${isFirst ? "yes" : ""}`);
}
console.log(`first load (gzip): ${(first / 1024).toFixed(1)} KB of a ${BUDGET / 1024} KB budget`);
if (first > BUDGET) {
  console.error("first load is over budget");
  process.exit(1);
}
