/**
 * `simulate`: replays the observed conversations against a declared model. The model's compiled
 * rules (the manifest's IR rules: denies already subtracted, so they allow exactly what
 * `modelAllows` allows) travel into DuckDB as the table `rules`; each conversation is joined with
 * the rules that match its two ends, protocol and server port. Verdicts: `allowed` (with the
 * flows that allow it), `wouldBlock`, or `rejected` (REJECT records: already stopped today).
 */
import { Manifest } from '../ir/manifest';
import { serviceKey } from '../ir/services';
import { readManifest, identityEntries } from './discover';
import { liveDocs } from './live';
import { iso } from './engine';
import { runPlan } from './engines';
import { SqlValue } from './dialect';
import { ruleRows } from './plan-tables';
import { IdentityMap } from './identity';
import { SimulatedConversation, SimulateOptions, SimulateResult, UnusedFlow } from './types';

export { ruleRows };

/** Peer ranges declared in the model (the internet is folded into the narrowest). */
function declaredPeers(m: Manifest): string[] {
  const out = new Set<string>();
  for (const f of [...m.model.flows, ...m.model.denies]) for (const e of [f.from, f.to]) if (e.kind === 'cidr' && e.cidr) out.add(e.cidr);
  return [...out];
}

/** The manifest, identities and rules simulate runs the plan with. */
export async function simulateInputs(options: SimulateOptions): Promise<{ manifest: Manifest; map: IdentityMap; rules: SqlValue[][] }> {
  const manifest = readManifest(options.manifest);
  const map = new IdentityMap(identityEntries({ ...options, strict: true }, manifest, await liveDocs(options)), declaredPeers(manifest));
  return { manifest, map, rules: ruleRows(manifest) };
}

/** Runs simulate. */
export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const { manifest, map, rules } = await simulateInputs(options);
  const { result: loaded, stats } = await runPlan(options, map, 'simulate', rules);
  {
    const conversations: SimulatedConversation[] = loaded.flows.map(r => ({
      from: r.from, to: r.to, protocol: r.protocol,
      ...(r.port === null ? {} : { port: r.port }),
      verdict: r.verdict, flows: r.flows,
      records: r.records, bytes: r.bytes, firstSeen: iso(r.t0) ?? '', lastSeen: iso(r.t1) ?? '',
    }));
    const used = new Set(conversations.flatMap(c => c.flows));
    const unused: UnusedFlow[] = manifest.model.flows.filter(f => !used.has(f.path)).map(f => ({
      flow: f.path, from: f.from.key, to: f.to.key, ports: f.services.map(serviceKey).join(','),
    }));
    const accepted = conversations.filter(c => c.verdict !== 'rejected');
    const allowed = accepted.filter(c => c.verdict === 'allowed');
    const ratio = (a: number, b: number) => (b === 0 ? 1 : Math.round((a / b) * 10000) / 10000);
    const workloads = manifest.model.workloads.map(w => w.name);
    const allowedPairs = new Set(manifest.rules.filter(r => r.source.startsWith('w:') && r.destination.startsWith('w:')).map(r => `${r.source.slice(2)}>${r.destination.slice(2)}`));
    const observedPairs = new Set(allowed.filter(c => c.from.startsWith('workload:') && c.to.startsWith('workload:'))
      .map(c => `${c.from.slice(9)}>${c.to.slice(9)}`).filter(k => allowedPairs.has(k)));
    const result: SimulateResult = {
      schemaVersion: 1,
      segmentation: manifest.segmentation.name,
      window: loaded.window,
      records: loaded.counts,
      conversations,
      unused,
      unknown: loaded.unknown,
      coverage: {
        conversations: ratio(allowed.length, accepted.length),
        bytes: ratio(allowed.reduce((s, c) => s + c.bytes, 0), accepted.reduce((s, c) => s + c.bytes, 0)),
        allowedPairs: ratio(allowedPairs.size, workloads.length * workloads.length),
        observedOfAllowed: ratio(observedPairs.size, allowedPairs.size),
      },
      exitCode: accepted.some(c => c.verdict === 'wouldBlock') ? 1 : 0,
      ...(stats ? { engine: stats } : {}),
    };
    return result;
  }
}
