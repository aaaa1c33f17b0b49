#!/usr/bin/env node
// The installed `chainprice` command (package.json "bin"): checks the Node.js version, then loads the
// command line (cli.ts). CommonJS (.cts, emitted as .cjs) in syntax that even Node.js 10 parses, and
// importing nothing until the check passes, so an old Node says in one line what to do instead of
// a stack trace (checked by hand on Node.js 10, 14 and 20).
// The version must match "engines" in package.json (test/integration/package/package.test.ts checks it).

const NEEDED = [22, 18];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < NEEDED[0] || (major === NEEDED[0] && minor < NEEDED[1])) {
  console.error(
    'chainprice needs Node.js ' +
      NEEDED.join('.') +
      ' or newer, and this is ' +
      process.version +
      ': install Node.js 24 from https://nodejs.org/ (or with your version manager, e.g. "nvm install 24") and run it again.',
  );
  process.exitCode = 1;
} else {
  import('./cli.ts');
}
