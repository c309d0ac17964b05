/**
 * The project's own build: `npx projen build` / `npm run package` make the JS package by default
 * (offline-safe); the Java, Python, .NET and Go bindings are opt-in and documented.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const tasks = JSON.parse(fs.readFileSync(path.join(root, '.projen', 'tasks.json'), 'utf8')).tasks as Record<string, { steps?: { spawn?: string; exec?: string; condition?: string }[] }>;

/** Every task a task runs, transitively. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  for (const step of tasks[name]?.steps ?? []) if (step.spawn) closure(step.spawn, seen);
  return seen;
}

describe('packaging tasks', () => {
  it('`package` (and so `build`) builds the JS package only, whatever CI says', () => {
    const pkg = [...closure('package')];
    expect(pkg).toContain('package:js');
    expect(pkg.filter(t => /^package[:-](java|python|dotnet|go|all)$/.test(t))).toEqual([]);
    expect(closure('build').has('package')).toBe(true);
    expect((tasks.package.steps ?? []).filter(s => s.condition)).toEqual([]);
  });

  it('the other language targets stay available and the README says how', () => {
    for (const t of ['package-all', 'package:java', 'package:python', 'package:dotnet', 'package:go']) expect(tasks[t], t).toBeDefined();
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/`npx projen package-all`/);
  });
});
