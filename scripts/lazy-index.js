#!/usr/bin/env node
// Rewrites lib/index.js after jsii compiles it so the cloud submodules load on first access.
// `require('microseg')` then loads no cloud library at all, `require('microseg').aws` loads
// aws-cdk-lib only, and cdktf is loaded only by `.azure` / `.gcp` (the same technique aws-cdk-lib
// uses for its own index; `.traffic` loads no DuckDB until an analysis runs). The API (.jsii, .d.ts) is unchanged. Using `.aws` without aws-cdk-lib
// installed is a coded error naming the install line, not a bare "Cannot find module".
'use strict';
const fs = require('fs');
const path = require('path');

const file = path.join(__dirname, '..', 'lib', 'index.js');
const src = fs.readFileSync(file, 'utf8');
const pattern = /^exports\.(\w+) = __importStar\(require\("\.\/(\w+)"\)\);$/gm;
let count = 0;
const out = src.replace(pattern, (_m, name, mod) => {
  count++;
  if (mod === 'aws') {
    return `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, configurable: true, get: function () { try { return require("./${mod}"); } catch (e) { throw missingDependency(e, "aws-cdk-lib", "the aws submodule", "npm i aws-cdk-lib constructs"); } } });`;
  }
  return `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, configurable: true, get: function () { return require("./${mod}"); } });`;
});
if (count === 0 && /__importStar\(require\("\.\/(aws|azure|gcp|audit|k8s|traffic)"\)\)/.test(src)) {
  console.error('lazy-index: submodule exports found but not rewritten; the compiled index format changed');
  process.exit(1);
}
const helper = `
function missingDependency(e, name, what, install) {
  if (!e || e.code !== "MODULE_NOT_FOUND" || !String(e.message).includes("'" + name + "'")) return e;
  const { MicrosegError } = require("./model/errors");
  return new MicrosegError({ code: "MissingDependency", path: "microseg", value: name, message: "is needed by " + what + " but is not installed.", hint: "Install it next to microseg: " + install });
}
`;
// The helper goes at the end, before the source map comment (which must stay last).
const withHelper = count > 0 && !out.includes('function missingDependency(')
  ? out.replace(/(\n\/\/# sourceMappingURL=[^\n]*\n?)?$/, m => helper + m)
  : out;
fs.writeFileSync(file, withHelper);
console.log(`lazy-index: ${count} submodule(s) load on first access`);
