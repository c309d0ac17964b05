/**
 * The README's quick start is code users paste: it must synthesize as written (with the package
 * import pointed at the sources).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

describe('README', () => {
  it('opens with the install+run command and the test command', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const firstBlock = readme.split('```sh\n')[1].split('```')[0];
    expect(firstBlock).toMatch(/^npm ci && npm run examples/m);
    expect(firstBlock).toMatch(/^npm test/m);
    expect(fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });

  it('quick start synthesizes, writes the manifest, and its rules allow the declared flows for the instance as placed (AWS evaluator)', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const code = readme.split('## Quick start')[1].split('```ts\n')[1].split('```')[0];
    const dir = path.join(root, 'test', '.work');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'readme-quickstart.ts');
    const outdir = fs.mkdtempSync(path.join(dir, 'quickstart-'));
    const src = JSON.stringify(path.join(root, 'src'));
    fs.writeFileSync(file, code.replace("from 'microseg'", `from ${src}`)
      .replace('new App()', `new App({ outdir: ${JSON.stringify(outdir)} })`)
      + `\nimport { AwsEvaluator } from ${JSON.stringify(path.join(root, 'test', 'support', 'aws-evaluator'))};\n`
      + `const t = app.synth().getStackByName('Shop').template;\n`
      + `const tags = Object.values<any>(t.Resources).filter(r => r.Type === 'AWS::EC2::SecurityGroup')\n`
      + `  .flatMap(r => (r.Properties.Tags ?? []).filter((x: any) => x.Key === 'microseg:workload').map((x: any) => x.Value));\n`
      // Where the instance really sits: its subnet's CIDR, from the template.
      + `const subnetId = t.Resources[stack.getLogicalId(instance.node.defaultChild as any)].Properties.SubnetId.Ref;\n`
      + `const placed = t.Resources[subnetId].Properties.CidrBlock;\n`
      + `const ev = new AwsEvaluator(t, backend, backend._policy!, undefined, { api: placed });\n`
      + `const p = (from: string, to: string, port: number) => ev.allows({ source: { workload: from }, destination: { workload: to }, protocol: 'tcp', port });\n`
      + `const internet = (to: string, port: number) => ev.allows({ source: { address: 0xCB00710An, family: 'ipv4' }, destination: { workload: to }, protocol: 'tcp', port });\n`
      + `console.log(JSON.stringify({ tags: tags.sort(), placed, flows: {\n`
      + `  'internet->frontend:443': internet('frontend', 443), 'frontend->api:8080': p('frontend', 'api', 8080), 'api->postgres:5432': p('api', 'postgres', 5432),\n`
      + `  'frontend->api:22': p('frontend', 'api', 22), 'frontend->postgres:5432': p('frontend', 'postgres', 5432), 'internet->api:8080': internet('api', 8080), 'api->frontend:443': p('api', 'frontend', 443),\n`
      + `} }));\n`);
    const out = execFileSync(path.join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: root, encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    // one security group per workload, tagged back to the model
    expect(result.tags).toEqual(['api', 'frontend', 'postgres']);
    expect(fs.existsSync(path.join(outdir, 'shop.microseg.json'))).toBe(true);
    // The instance sits in an app subnet, and the rendered rules allow exactly the declared flows.
    expect(result.placed).toMatch(/^10\.0\.[23]\.0\/24$/);
    expect(result.flows).toEqual({
      'internet->frontend:443': true, 'frontend->api:8080': true, 'api->postgres:5432': true,
      'frontend->api:22': false, 'frontend->postgres:5432': false, 'internet->api:8080': false, 'api->frontend:443': false,
    });
  });
});
