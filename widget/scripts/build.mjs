// Build the widget bundles: minified IIFEs with the CSS inlined, plus their SRI hashes.
//   node scripts/build.mjs           -> writes ../src/prefcenter/web/widget/prefcenter.js(.sri) and
//                                       ../src/prefcenter/privacy/widget/privacy.js(.sri)
//   node scripts/build.mjs --check   -> builds into a temp dir, fails if the checked-in files differ
// Fails when a gzipped bundle exceeds its budget (prefcenter.js 15 KB, privacy.js 10 KB).

import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

// Each bundle: its entry, where it is served from (checked in under src/prefcenter) and its gzip budget.
const BUNDLES = [
  { entry: "src/index.ts", name: "prefcenter.js", dir: "../src/prefcenter/web/widget", budget: 15 * 1024, banner: "widget" },
  // The privacy center's <prefcenter-privacy-request> (served by the privacy area)
  { entry: "src/privacy/index.ts", name: "privacy.js", dir: "../src/prefcenter/privacy/widget", budget: 10 * 1024, banner: "privacy request" },
];
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const check = process.argv.includes("--check");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

let failed = false;
for (const bundle of BUNDLES) {
  const outDir = resolve(root, bundle.dir);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [bundle.entry],
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
    banner: { js: `/*! prefcenter ${bundle.banner} v${pkg.version} */` },
    logLevel: "warning",
  });

  const code = Buffer.from(result.outputFiles[0].contents);
  const sri = "sha384-" + createHash("sha384").update(code).digest("base64");
  const gzipped = gzipSync(code, { level: 9 }).length;

  const target = check ? mkdtempSync(join(tmpdir(), "prefcenter-widget-")) : outDir;
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, bundle.name), code);
  writeFileSync(join(target, `${bundle.name}.sri`), sri + "\n");

  console.log(`${bundle.name}: ${code.length} bytes, ${gzipped} bytes gzipped (budget ${bundle.budget})`);
  console.log(`SRI: ${sri}`);

  if (gzipped > bundle.budget) {
    console.error(`FAIL: gzipped ${bundle.name} is ${gzipped} bytes, over the ${bundle.budget} byte budget`);
    failed = true;
  }

  if (check) {
    for (const name of [bundle.name, `${bundle.name}.sri`]) {
      const committed = join(outDir, name);
      const fresh = readFileSync(join(target, name));
      if (!existsSync(committed) || !readFileSync(committed).equals(fresh)) {
        console.error(`FAIL: ${committed} is stale or missing; run \`npm run build\` in widget/ and commit it`);
        failed = true;
      }
    }
    rmSync(target, { recursive: true, force: true });
  }
}
if (check && !failed) console.log("check-built: the checked-in bundles are up to date");

process.exit(failed ? 1 : 0);
