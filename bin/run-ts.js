'use strict';
// Lets plain `node` run this repository's TypeScript: each .ts file is transpiled by esbuild as it is
// required, so the CLI always runs the sources as they are (no stale build output, no build step).
const { transformSync } = require('esbuild');
const { readFileSync } = require('node:fs');
const Module = require('node:module');

if (!Module._extensions['.ts']) {
  Module._extensions['.ts'] = (module, filename) => {
    const { code } = transformSync(readFileSync(filename, 'utf8'), {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
    });
    module._compile(code, filename);
  };
  process.setSourceMapsEnabled?.(true);
}

// `node bin/run-ts.js script.ts args…` runs a TypeScript entry point.
if (require.main === module) {
  const [script, ...args] = process.argv.slice(2);
  if (!script) {
    process.stderr.write('usage: node bin/run-ts.js SCRIPT.ts [ARGS…]\n');
    process.exit(2);
  }
  process.argv = [process.argv[0], script, ...args];
  require(require('node:path').resolve(script));
}
