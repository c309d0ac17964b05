/**
 * The architecture rules of docs/architecture.md, enforced on the import statements of src/:
 * - model, ir, semantics and analysis (the cloud-agnostic core) import no cloud package, and
 *   only each other in one direction (model <- ir <- semantics <- analysis);
 * - nothing imports a backend folder (aws, azure, gcp, k8s) except that backend itself and src/index.ts;
 * - the shared planning layer (plan) imports only the core and itself (no backend, no cloud package);
 * - the loader of optional packages and the cloud SDKs' client setup (optional) import only the
 *   model's error type (and node's `module`), so audit, traffic and map share them without
 *   depending on each other.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '..', 'src');
const CORE = ['model', 'ir', 'semantics', 'analysis'];
const BACKENDS = ['aws', 'azure', 'gcp', 'k8s'];
const CLOUD_PACKAGE = /^(aws-cdk-lib|cdktf|@cdktf\/|cdk8s|@aws-sdk\/|@azure\/|@google-cloud\/|@kubernetes\/|@duckdb\/)/;
/** What each core folder may import from src/ (relative imports). */
const CORE_MAY_IMPORT: Record<string, string[]> = {
  model: ['model'],
  ir: ['model', 'ir'],
  semantics: ['model', 'ir', 'semantics'],
  analysis: ['model', 'ir', 'semantics', 'analysis'],
};

interface Import { file: string; spec: string; target?: string }

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Module specifiers of every import/export-from/require/import() with a literal argument. */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[1]);
  return specs;
}

/** Relative module specifiers a file imports at run time (`import type` / `export type` are erased by TypeScript). */
export function runtimeImportsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
    .replace(/\b(?:import|export)\s+type\s+[^'";]*?\bfrom\s*['"][^'"]+['"]/g, '');
  return importsOf(code);
}

/** The import cycles of a graph (its strongly connected components of more than one module, or a module importing itself). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** The module a relative specifier of `file` resolves to (a .ts file or a folder's index.ts). */
function resolveModule(file: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(file), spec.replace(/\.js$/, ''));
  return [`${base}.ts`, path.join(base, 'index.ts')].find(f => fs.existsSync(f));
}

function topFolder(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? rel[0] : '';
}

function allImports(): Import[] {
  return walk(SRC).flatMap(file => importsOf(fs.readFileSync(file, 'utf8')).map(spec => ({
    file,
    spec,
    target: spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : undefined,
  })));
}

const rel = (f: string) => path.relative(SRC, f);

describe('layering', () => {
  const imports = allImports();

  it('the scanner sees every import form', () => {
    expect(importsOf([
      "import { a } from 'x1';",
      "import type { b } from 'x2';",
      "export * from 'x3';",
      "import 'x4';",
      "const c = require('x5');",
      "type T = typeof import('x6');",
      "import {\n  d,\n  e,\n} from 'x7';",
      "// import { f } from 'commented';",
      "/** require('doc') */",
    ].join('\n'))).toEqual(['x1', 'x2', 'x3', 'x7', 'x4', 'x5', 'x6']);
    expect(imports.filter(i => CORE.includes(topFolder(i.file))).length).toBeGreaterThan(30);
  });

  it('model, ir, semantics and analysis import no cloud package', () => {
    const bad = imports.filter(i => CORE.includes(topFolder(i.file)) && CLOUD_PACKAGE.test(i.spec));
    expect(bad.map(i => `${rel(i.file)} imports ${i.spec}`)).toEqual([]);
  });

  it('model, ir, semantics and analysis depend on each other in one direction only', () => {
    const bad = imports.filter(i => {
      const from = topFolder(i.file);
      if (!CORE.includes(from) || !i.target) return false;
      return !CORE_MAY_IMPORT[from].includes(topFolder(i.target));
    });
    expect(bad.map(i => `${rel(i.file)} imports ${i.spec}`)).toEqual([]);
  });

  it('each cloud package is imported only where the house rules allow it', () => {
    // cdktf only in the cdktf backends (and their shared helpers), aws-cdk-lib only in aws,
    // cdk8s only in k8s, cloud SDKs (and the Kubernetes client) only in audit (and the AWS SDK in aws).
    const allowed: [RegExp, string[]][] = [
      [/^(cdktf|@cdktf\/)/, ['azure', 'gcp', 'terraform']],
      [/^aws-cdk-lib/, ['aws']],
      [/^cdk8s/, ['k8s']],
      [/^@kubernetes\//, ['audit']],
      [/^@aws-sdk\//, ['aws', 'audit']],
      [/^(@azure|@google-cloud)\//, ['audit']],
      [/^@duckdb\//, ['traffic']],
    ];
    const bad = imports.filter(i => allowed.some(([re, folders]) => re.test(i.spec) && !folders.includes(topFolder(i.file))));
    expect(bad.map(i => `${rel(i.file)} imports ${i.spec}`)).toEqual([]);
  });

  it('traffic imports only the core (model, ir, semantics, analysis), the optional-package loader and itself, and loads DuckDB lazily', () => {
    const bad = imports.filter(i => topFolder(i.file) === 'traffic' && i.target && !['model', 'ir', 'semantics', 'analysis', 'optional', 'traffic'].includes(topFolder(i.target)));
    expect(bad.map(i => `${rel(i.file)} imports ${i.spec}`)).toEqual([]);
    // no top-level import of the engine: it is required inside a function, so `microseg.traffic` loads without it
    const eager = walk(path.join(SRC, 'traffic')).filter(f => /^\s*import[^;]*['"]@duckdb\//m.test(fs.readFileSync(f, 'utf8')));
    expect(eager.map(rel)).toEqual([]);
  });

  it('map imports only the core (with its safe file writing, src/ir/files), the optional-package loader, the types of the simulate JSON and itself, and loads elkjs lazily', () => {
    // the simulate JSON shape is declared once, in traffic/types.ts (which imports nothing); the map
    // reads it through `import type`, which loads no traffic code
    const simulateTypes = path.join(SRC, 'traffic', 'types');
    const bad = imports.filter(i => topFolder(i.file) === 'map' && i.target && i.target !== simulateTypes
      && !['model', 'ir', 'analysis', 'optional', 'map'].includes(topFolder(i.target)));
    expect(bad.map(i => `${rel(i.file)} imports ${i.spec}`)).toEqual([]);
    const valueImports = walk(path.join(SRC, 'map')).filter(f => /^\s*import\s+(?!type\b)[^;]*['"]\.\.\/traffic\//m.test(fs.readFileSync(f, 'utf8')));
    expect(valueImports.map(rel)).toEqual([]);
    expect(importsOf(fs.readFileSync(path.join(SRC, 'traffic', 'types.ts'), 'utf8'))).toEqual([]);
    const eager = walk(path.join(SRC, 'map')).filter(f => /^\s*import[^;]*['"]elkjs/m.test(fs.readFileSync(f, 'utf8')));
    expect(eager.map(rel)).toEqual([]);
    // the browser driver is a test tool only
    expect(imports.filter(i => /^(playwright|puppeteer)/.test(i.spec)).map(i => rel(i.file))).toEqual([]);
  });

  it('the planning layer imports only model, ir, semantics, analysis and itself, and no package', () => {
    const files = imports.filter(i => topFolder(i.file) === 'plan');
    expect(files.length).toBeGreaterThan(5);
    const bad = files.filter(i => (i.target ? !['model', 'ir', 'semantics', 'analysis', 'plan'].includes(topFolder(i.target)) : !/^(crypto|node:crypto)$/.test(i.spec)));
    expect(bad.map(i => `${rel(i.file)} imports ${i.spec}`)).toEqual([]);
  });

  it('the optional-package loader imports only the model (its error type) and no package by name (but node\'s module resolver)', () => {
    const files = imports.filter(i => topFolder(i.file) === 'optional');
    expect(files.length).toBeGreaterThan(0);
    const bad = files.filter(i => (i.target ? topFolder(i.target) !== 'model' : !/^(node:)?module$/.test(i.spec)));
    expect(bad.map(i => `${rel(i.file)} imports ${i.spec}`)).toEqual([]);
  });

  it('nothing imports a backend folder except that backend itself and src/index.ts', () => {
    const bad = imports.filter(i => {
      if (!i.target) return false;
      const to = topFolder(i.target);
      if (!BACKENDS.includes(to) && !BACKENDS.includes(path.relative(SRC, i.target))) return false;
      const from = topFolder(i.file);
      return from !== to && rel(i.file) !== 'index.ts';
    });
    expect(bad.map(i => `${rel(i.file)} imports ${i.spec}`)).toEqual([]);
  });

  it('no module takes part in an import cycle (but the model\'s constructs), and the cycle finder finds cycles', () => {
    expect(importCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']]]))).toEqual([['a', 'b', 'c'], ['e']]);
    expect(runtimeImportsOf("import type { A } from './a';\nimport { B } from './b';\nexport type { C } from './c';")).toEqual(['./b']);
    const graph = new Map(walk(SRC).map(file => [rel(file), runtimeImportsOf(fs.readFileSync(file, 'utf8'))
      .filter(spec => spec.startsWith('.'))
      .map(spec => resolveModule(file, spec))
      .filter((f): f is string => f !== undefined)
      .map(rel)]));
    const cycles = importCycles(graph).filter(c => !c.every(f => topFolder(path.join(SRC, f)) === 'model'));
    expect(cycles).toEqual([]);
  });
});
