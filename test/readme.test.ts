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

  it('quick start synthesizes a stack and writes the manifest', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const code = readme.split('## Quick start')[1].split('```ts\n')[1].split('```')[0];
    const dir = path.join(root, 'test', '.work');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'readme-quickstart.ts');
    const outdir = fs.mkdtempSync(path.join(dir, 'quickstart-'));
    fs.writeFileSync(file, code.replace("from 'microseg'", `from ${JSON.stringify(path.join(root, 'src'))}`)
      .replace('new App()', `new App({ outdir: ${JSON.stringify(outdir)} })`)
      + `\nconst t = app.synth().getStackByName('Shop').template;\n`
      + `const tags = Object.values<any>(t.Resources).filter(r => r.Type === 'AWS::EC2::SecurityGroup')\n`
      + `  .flatMap(r => (r.Properties.Tags ?? []).filter((x: any) => x.Key === 'microseg:workload').map((x: any) => x.Value));\n`
      + `console.log(JSON.stringify(tags.sort()));\n`);
    const out = execFileSync(path.join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: root, encoding: 'utf8' });
    // one security group per workload, tagged back to the model
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual(['api', 'frontend', 'postgres']);
    expect(fs.existsSync(path.join(outdir, 'shop.microseg.json'))).toBe(true);
  });
});
