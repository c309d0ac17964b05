#!/usr/bin/env node
// Rewrites lib/index.js after jsii compiles it so the cloud submodules load on first access.
// `require('microseg')` then loads no cloud library at all, `require('microseg').aws` loads
// aws-cdk-lib only, and cdktf is loaded only by `.azure` / `.gcp` (the same technique aws-cdk-lib
// uses for its own index). The API (.jsii, .d.ts) is unchanged.
'use strict';
const fs = require('fs');
const path = require('path');

const file = path.join(__dirname, '..', 'lib', 'index.js');
const src = fs.readFileSync(file, 'utf8');
const pattern = /^exports\.(\w+) = __importStar\(require\("\.\/(\w+)"\)\);$/gm;
let count = 0;
const out = src.replace(pattern, (_m, name, mod) => {
  count++;
  return `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, configurable: true, get: function () { return require("./${mod}"); } });`;
});
if (count === 0 && /__importStar\(require\("\.\/(aws|azure|gcp|audit)"\)\)/.test(src)) {
  console.error('lazy-index: submodule exports found but not rewritten; the compiled index format changed');
  process.exit(1);
}
fs.writeFileSync(file, out);
console.log(`lazy-index: ${count} submodule(s) load on first access`);
