// Copies the files named in package.json's "vendor" map ("node_modules/path": "vendor/path")
// into site/static/vendor/, so pages load every library from our own server.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).vendor ?? {};
const target = join(root, "site", "static", "vendor");
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const [from, to] of Object.entries(manifest)) {
  const destination = join(target, to);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(join(root, "node_modules", from), destination);
  console.log(`vendored ${from} -> site/static/vendor/${to}`);
}
console.log(`${Object.keys(manifest).length} vendored files in site/static/vendor/`);
