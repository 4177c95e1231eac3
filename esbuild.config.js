'use strict';
/**
 * The esbuild options of every function bundle, in one place: serverless-esbuild reads them through
 * custom.esbuild.config in serverless.yml (it calls this function), and bench/bundle.ts builds with them.
 * `exclude` is serverless-esbuild's (passed to esbuild as `external`); the rest are esbuild's own.
 */
const options = {
  bundle: true,
  minify: true,
  // The map is a separate file (linked): it is not part of the code Lambda loads, and without the
  // sources' text it stays small for --enable-source-maps to read at cold start (traces keep file:line).
  sourcemap: 'linked',
  sourcesContent: false,
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  // Prefer the ES-module builds (the AWS SDK's dist-es, Powertools' lib/esm), which esbuild can tree-shake.
  mainFields: ['module', 'main'],
  // The AWS SDK is bundled (not taken from the runtime) so each function ships the versions it was tested with.
  exclude: [],
};

module.exports = () => JSON.parse(JSON.stringify(options));
