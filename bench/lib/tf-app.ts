/** The CDKTF app both Azure/GCP measurements run in (cdktf defaults, one stack, offline synth). */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type * as cdktf from 'cdktf';
import type { BenchPort } from '../models';

export const AZURE_RG = 'rg-bench';
export const AZURE_LOCATION = 'westeurope';
export const GCP_NETWORK = 'bench-vpc';
export const GCP_PROJECT = 'bench-project';

export function makeTfApp(lib: typeof cdktf, outdir: string, stackName: string) {
  rmSync(outdir, { recursive: true, force: true });
  const app = new lib.App({ outdir });
  const stack = new lib.TerraformStack(app, stackName);
  return { app, stack };
}

/** The synthesized Terraform JSON files of an app (`stacks/<name>/cdk.tf.json`). */
export function tfJsonFiles(outdir: string): string[] {
  const stacks = join(outdir, 'stacks');
  return readdirSync(stacks).map(s => join(stacks, s, 'cdk.tf.json'));
}

/** `443`, `9092-9094`. */
export function portText(p: BenchPort): string {
  return p.from === p.to ? String(p.from) : `${p.from}-${p.to}`;
}

/** Ports grouped by protocol, in a stable order. */
export function byProtocol(ports: readonly BenchPort[]): [('tcp' | 'udp'), string[]][] {
  const m = new Map<'tcp' | 'udp', string[]>();
  for (const p of ports) m.set(p.protocol, [...(m.get(p.protocol) ?? []), portText(p)]);
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}
