// `npm run build` (and `prepack`): the JavaScript the published package runs, in dist/ (ignored by git).
// Node strips types only outside node_modules, so an installed chainprice cannot run the TypeScript
// the clone runs. TypeScript's own emit writes dist/src/**/*.js with .d.ts (relative `.ts` imports
// rewritten to `.js`) and dist/web/*.js for the browser; index.html and style.css are copied, the page
// asking for main.js instead of main.ts. Development never needs this: every other script runs the
// TypeScript directly.

import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = `${root}dist/`;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function compile(project: string): void {
  const run = spawnSync(process.execPath, [tsc, '-p', `${root}${project}`], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`build: tsc -p ${project} failed (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
}

rmSync(dist, { recursive: true, force: true });
// The browser first: its type-only imports of src/ emit those files too; the server build then
// writes them again with the server's settings.
compile('web/tsconfig.build.json');
compile('tsconfig.build.json');
// The JavaScript goes without comments (they are the repository's, for its readers: the package
// is about a third smaller); the library's declarations keep theirs, for an editor's hover text.
compile('tsconfig.build-types.json');

const page = readFileSync(`${root}web/index.html`, 'utf8');
const entry = '<script type="module" src="./main.ts"></script>';
if (!page.includes(entry)) {
  console.error(`build: web/index.html no longer loads the page with ${entry}; update scripts/build.ts`);
  process.exit(1);
}
writeFileSync(`${dist}web/index.html`, page.replace(entry, entry.replace('main.ts', 'main.js')));
copyFileSync(`${root}web/style.css`, `${dist}web/style.css`);
// The comb model is kept readable in the repository (reviewed in diffs); the package ships it
// without indentation, the same JSON at about half the bytes.
const model = `${dist}src/oracle/comb-model.json`;
writeFileSync(model, JSON.stringify(JSON.parse(readFileSync(model, 'utf8'))));
console.error('build: dist/ written');
