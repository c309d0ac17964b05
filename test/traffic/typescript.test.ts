/**
 * `discover --format ts`: the module type-checks against microseg's API, and running it builds a
 * model whose compiled policy allows exactly the discovered flows (and nothing between workloads
 * that was not observed).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { compile, modelAllows, PacketEnd, parseAddress } from '../../src/ir';
import { DiscoverFormat, TrafficAnalysis } from '../../src/traffic';
import { writeS3 } from '../support/traffic-generator';
import { estateModel, SHOP, tmpDir, writeManifest } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..');

describe('discover --format ts', () => {
  it('compiles, and rendering it gives back the discovered flows', async () => {
    const dir = tmpDir('ts-');
    const logs = path.join(dir, 'logs');
    writeS3(SHOP, { format: 'v5', start: 1_790_000_000, seed: 4, root: logs });
    const manifestFile = writeManifest(dir, estateModel(SHOP, []).manifest);
    const found = await TrafficAnalysis.discover({ logs: [logs], manifest: manifestFile });
    const source = TrafficAnalysis.renderDiscover(found, DiscoverFormat.TS);
    const file = path.join(dir, 'discovered.ts');
    fs.writeFileSync(file, source);

    // it type-checks against the package's API (`microseg` mapped to the sources)
    const program = ts.createProgram([file], {
      noEmit: true, strict: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
      esModuleInterop: true, experimentalDecorators: true, baseUrl: ROOT, paths: { microseg: ['src/index.ts'] }, types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter(d => d.file?.fileName === file);
    expect(diagnostics.map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);

    // it runs and builds the discovered model
    const runnable = path.join(dir, 'discovered.run.ts');
    fs.writeFileSync(runnable, source.replace("from 'microseg'", `from ${JSON.stringify(path.join(ROOT, 'src'))}`));
    const mod = await import(runnable);
    const policy = compile(mod.segmentation);
    const end = (identity: string): PacketEnd => (identity.startsWith('workload:') ? { workload: identity.slice(9) }
      : { family: 'ipv4', address: parseAddress(identity.slice(5).split('/')[0] === '0.0.0.0' ? '198.51.100.1' : identity.slice(5).split('/')[0]).value });
    const expressible = found.flows.filter(f => f.from.startsWith('workload:') || f.to.startsWith('workload:'));
    expect(expressible.length).toBe(6);
    for (const f of expressible) {
      for (const port of f.ports) {
        expect({ f: `${f.from} ${f.to} ${port}`, ok: modelAllows(policy, { source: end(f.from), destination: end(f.to), protocol: f.protocol as 'tcp', port }) }).toEqual({ f: `${f.from} ${f.to} ${port}`, ok: true });
        // never the reverse direction
        if (f.from.startsWith('workload:') && f.to.startsWith('workload:')) {
          expect(modelAllows(policy, { source: end(f.to), destination: end(f.from), protocol: f.protocol as 'tcp', port })).toBe(false);
        }
      }
    }
    expect(policy.flows).toHaveLength(expressible.length);
    expect(policy.workloads.map(w => w.name)).toEqual(['cart', 'checkout', 'frontend', 'payments', 'redis']);
  });
});
