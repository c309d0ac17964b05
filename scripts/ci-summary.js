#!/usr/bin/env node
// Prints the last line of a CI run: `N passed, N failed`, the counts of the last vitest summary
// ("Tests  3 failed | 281 passed | 2 skipped (286)") found in the run's log. When the run stopped
// before vitest summed up (install or compile failed), it says so on stderr and prints
// `0 passed, 0 failed`, so the last line always has the same plain form.
'use strict';
const fs = require('fs');

/** The passed and failed counts of the last vitest "Tests" summary line of `text`, if any. */
function summarize(text) {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  const lines = plain.split(/\r?\n/).filter(l => /^\s*Tests\s+\d+ (passed|failed|skipped|todo)/.test(l));
  if (lines.length === 0) return undefined;
  const last = lines[lines.length - 1];
  const count = word => Number((new RegExp(`(\\d+) ${word}`).exec(last) || [0, 0])[1]);
  return { passed: count('passed'), failed: count('failed') };
}

module.exports = { summarize };

if (require.main === module) {
  const file = process.argv[2];
  const text = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const s = summarize(text);
  if (!s) process.stderr.write('no test summary: the run stopped before the tests finished\n');
  process.stdout.write(`${s ? s.passed : 0} passed, ${s ? s.failed : 0} failed\n`);
}
