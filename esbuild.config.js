'use strict';
const { join } = require('node:path');
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
  // One credential chain for every client. @aws-sdk/client-sagemaker-a2i-runtime's latest release (3.922.0) pins
  // its own credential-provider-node 3.922.0, which brings a second copy of the chain and of the clients it
  // signs in with (STS, SSO, SSO-OIDC): ~115 KB in every bundle with A2I. Later releases of the chain declare
  // themselves compatible (^3.972), and the other clients already use the project's one: A2I uses it too. In
  // Lambda every chain answers from the environment's credentials (test/deploy/bundles.test.ts signs through it).
  alias: { '@aws-sdk/credential-provider-node': join(__dirname, 'node_modules/@aws-sdk/credential-provider-node') },
};

module.exports = () => JSON.parse(JSON.stringify(options));
