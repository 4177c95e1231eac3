#!/usr/bin/env node
'use strict';
require('./run-ts');
require('../lib/cli/main')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
