/**
 * `.ci/run` logs plain text (no colour codes) and ends with `N passed, N failed`. Checked on real
 * vitest runs of a small fixture (one green, one red) under the environment `.ci/run` sets.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const ciRun = fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { summarize } = require(path.join(root, 'scripts', 'ci-summary.js')) as { summarize(text: string): { passed: number; failed: number } | undefined };

/** The variables `.ci/run` exports (`export A=1 B=2`). */
function ciEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of ciRun.split('\n').filter(l => l.startsWith('export '))) {
    for (const m of line.slice(7).matchAll(/([A-Za-z_]+)=(\S+)/g)) env[m[1]] = m[2];
  }
  return env;
}

/** Runs vitest on a fixture folder with `.ci/run`'s environment; returns everything it printed. */
function vitestOn(tests: Record<string, string>, ci = true): string {
  fs.mkdirSync(path.join(root, 'test', '.work'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(root, 'test', '.work', 'ci-'));
  // its own (empty) config, so the project's setup files and includes stay out of the fixture
  fs.writeFileSync(path.join(dir, 'vitest.config.mjs'), 'export default {};\n');
  for (const [name, body] of Object.entries(tests)) fs.writeFileSync(path.join(dir, name), body);
  // A CI runner may ask for colour (FORCE_COLOR=1, as GitHub Actions users often set): .ci/run's
  // own variables must win.
  const env: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: '1', ...(ci ? ciEnv() : {}), CI: 'true' };
  delete env.FC_SEED;
  if (!ci) delete env.NO_COLOR;
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir], { cwd: root, encoding: 'utf8', env });
    return r.stdout + r.stderr;
  } finally {
    // the fixture holds a skipped test on purpose: it must not stay behind in the tree
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('.ci/run output', () => {
  it('sets the variables that turn colour off and prints the summary on every exit', () => {
    const env = ciEnv();
    expect(env.NO_COLOR).toBe('1');
    expect(env.FORCE_COLOR).toBe('0');
    expect(ciRun).toMatch(/^trap '.*node scripts\/ci-summary\.js \.tmp\/ci\/run\.log.*' EXIT$/m);
    expect(ciRun).toMatch(/^exec > >\(tee \.tmp\/ci\/run\.log\) 2>&1$/m);
  });

  it('a red run: no colour codes, and the summary counts what vitest counted', () => {
    const out = vitestOn({
      'a.test.mjs': "import { it, expect } from 'vitest';\nit('one', () => expect(1).toBe(1));\nit('two', () => expect(1).toBe(2));\nit('three', () => {});\n",
      'b.test.mjs': "import { it } from 'vitest';\nit('four', () => {});\nit.skip('five', () => {});\n",
    });
    expect(out).toMatch(/Tests\s+1 failed \| 3 passed \| 1 skipped \(5\)/);
    expect(out).not.toMatch(/\x1b\[/);
    expect(summarize(out)).toEqual({ passed: 3, failed: 1 });
  });

  it('without .ci/run\'s variables the same runner would get colour codes (the check above has teeth)', () => {
    const out = vitestOn({ 'a.test.mjs': "import { it } from 'vitest';\nit('one', () => {});\n" }, false);
    expect(out).toMatch(/\x1b\[/);
    expect(summarize(out)).toEqual({ passed: 1, failed: 0 });
  });

  it('the script prints the plain line last, also when no test ran', () => {
    fs.mkdirSync(path.join(root, 'test', '.work'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, 'test', '.work', 'ci-log-'));
    const log = path.join(dir, 'run.log');
    fs.writeFileSync(log, 'npm test\n      Tests  2 passed (2)\nAPI.md is out of date\n');
    const green = spawnSync(process.execPath, [path.join(root, 'scripts', 'ci-summary.js'), log], { encoding: 'utf8' });
    expect(green.stdout).toBe('2 passed, 0 failed\n');
    const none = spawnSync(process.execPath, [path.join(root, 'scripts', 'ci-summary.js'), path.join(dir, 'missing.log')], { encoding: 'utf8' });
    expect(none.stdout).toBe('0 passed, 0 failed\n');
    expect(none.stderr).toMatch(/stopped before the tests finished/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
