#!/usr/bin/env node
'use strict';
require('./run-ts');
const cli = require('../lib/cli/main');
cli.exitOnUncaught();
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
