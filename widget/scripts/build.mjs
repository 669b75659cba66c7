// Build the widget bundle: one minified IIFE with the CSS inlined, plus its SRI hash.
//   node scripts/build.mjs           -> writes ../src/prefcenter/web/widget/prefcenter.js(.sri)
//   node scripts/build.mjs --check   -> builds into a temp dir, fails if the checked-in files differ
// Fails when the gzipped bundle exceeds the budget.

import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 15 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const outDir = resolve(root, "../src/prefcenter/web/widget");
const check = process.argv.includes("--check");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/index.ts"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  platform: "browser",
  charset: "utf8",
  legalComments: "none",
  sourcemap: false,
  write: false,
  define: { __VERSION__: JSON.stringify(pkg.version) },
  banner: { js: `/*! prefcenter widget v${pkg.version} */` },
  logLevel: "warning",
});

const code = Buffer.from(result.outputFiles[0].contents);
const sri = "sha384-" + createHash("sha384").update(code).digest("base64");
const gzipped = gzipSync(code, { level: 9 }).length;

const target = check ? mkdtempSync(join(tmpdir(), "prefcenter-widget-")) : outDir;
mkdirSync(target, { recursive: true });
writeFileSync(join(target, "prefcenter.js"), code);
writeFileSync(join(target, "prefcenter.js.sri"), sri + "\n");

console.log(`prefcenter.js: ${code.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET_BYTES})`);
console.log(`SRI: ${sri}`);

let failed = false;
if (gzipped > BUDGET_BYTES) {
  console.error(`FAIL: gzipped bundle is ${gzipped} bytes, over the ${BUDGET_BYTES} byte budget`);
  failed = true;
}

if (check) {
  for (const name of ["prefcenter.js", "prefcenter.js.sri"]) {
    const committed = join(outDir, name);
    const fresh = readFileSync(join(target, name));
    if (!existsSync(committed) || !readFileSync(committed).equals(fresh)) {
      console.error(`FAIL: ${committed} is stale or missing; run \`npm run build\` in widget/ and commit it`);
      failed = true;
    }
  }
  rmSync(target, { recursive: true, force: true });
  if (!failed) console.log("check-built: the checked-in bundle is up to date");
}

process.exit(failed ? 1 : 0);
