/**
 * Renderings of the traffic results. `discover`: json, ts (see typescript.ts), markdown, table.
 * `simulate`: table, json, markdown (a pull-request comment), sarif 2.1.0, junit.
 */
import Table from 'cli-table3';
import { renderTypeScript } from './typescript';
import { DiscoverResult, SimulatedConversation, SimulateResult } from './types';

const portText = (c: { protocol: string; port?: number }) => (c.port === undefined ? c.protocol : `${c.protocol}:${c.port}`);
const esc = (s: string) => s.replace(/\|/g, '\\|');
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Renders a discover result. */
export function renderDiscover(r: DiscoverResult, format: string): string {
  switch (format) {
    case 'json': return JSON.stringify(r, null, 2) + '\n';
    case 'ts': return renderTypeScript(r);
    case 'markdown': return discoverMarkdown(r);
    default: return discoverTable(r);
  }
}

/** One line summing up a discover result. */
export function discoverSummary(r: DiscoverResult): string {
  const workloads = r.zones.reduce((s, z) => s + z.workloads.length, 0);
  return `${r.records.read} record(s) read (${r.records.skipped} NODATA/SKIPDATA, ${r.records.rejected} rejected): ` +
    `${r.flows.length} flow(s) between ${workloads} workload(s) in ${r.zones.length} zone(s), ${r.unknown.length} unknown address(es), ` +
    `${r.dropped.belowMinRecords} dropped below --min-records.`;
}

function discoverTable(r: DiscoverResult): string {
  const t = new Table({ head: ['from', 'to', 'ports', 'records', 'bytes'], style: { head: [], border: [] } });
  for (const f of r.flows) t.push([f.from, f.to, f.ports.length ? `${f.protocol}:${f.ports.join(',')}` : f.protocol, f.records, f.bytes]);
  let out = `${t.toString()}\n`;
  if (r.unknown.length) {
    const u = new Table({ head: ['unknown address', 'records', 'peers'], style: { head: [], border: [] } });
    for (const x of r.unknown) u.push([x.address, x.records, x.peers.join('\n')]);
    out += `${u.toString()}\n`;
  }
  return `${out}${discoverSummary(r)}\n`;
}

function discoverMarkdown(r: DiscoverResult): string {
  const lines = ['## Discovered flows', '', discoverSummary(r), '', '| from | to | ports | records | bytes |', '|---|---|---|---:|---:|'];
  for (const f of r.flows) lines.push(`| \`${esc(f.from)}\` | \`${esc(f.to)}\` | ${f.ports.length ? `${f.protocol}:${f.ports.join(',')}` : f.protocol} | ${f.records} | ${f.bytes} |`);
  if (r.unknown.length) {
    lines.push('', '### Unknown internal addresses', '', '| address | records | peers |', '|---|---:|---|');
    for (const u of r.unknown) lines.push(`| ${u.address} | ${u.records} | ${u.peers.map(p => `\`${esc(p)}\``).join(', ')} |`);
  }
  if (r.rejected.length) {
    lines.push('', '### Rejected attempts (not dependencies)', '', '| from | to | ports | records |', '|---|---|---|---:|');
    for (const f of r.rejected) lines.push(`| \`${esc(f.from)}\` | \`${esc(f.to)}\` | ${f.ports.length ? `${f.protocol}:${f.ports.join(',')}` : f.protocol} | ${f.records} |`);
  }
  return lines.join('\n') + '\n';
}

/** One line verdict of a simulation. */
export function simulateVerdict(r: SimulateResult): string {
  const blocked = r.conversations.filter(c => c.verdict === 'wouldBlock');
  const head = blocked.length
    ? `WOULD BLOCK: ${blocked.length} conversation(s) (${blocked.reduce((s, c) => s + c.records, 0)} record(s)) that the model of ${r.segmentation} does not allow.`
    : `Nothing would be blocked: every accepted conversation is allowed by the model of ${r.segmentation}.`;
  return `${head} ${r.records.traffic} traffic record(s), ${r.unused.length} unused flow(s), ${r.unknown.length} unknown address(es), coverage ${(r.coverage.conversations * 100).toFixed(1)}% of conversations.`;
}

/** Renders a simulate result. */
export function renderSimulate(r: SimulateResult, format: string): string {
  switch (format) {
    case 'json': {
      const { exitCode: _exit, ...json } = r;
      return JSON.stringify(json, null, 2) + '\n';
    }
    case 'markdown': return simulateMarkdown(r);
    case 'sarif': return simulateSarif(r);
    case 'junit': return simulateJunit(r);
    default: return simulateTable(r);
  }
}

function simulateTable(r: SimulateResult): string {
  const t = new Table({ head: ['verdict', 'from', 'to', 'port', 'records', 'flows'], style: { head: [], border: [] } });
  const order: Record<string, number> = { wouldBlock: 0, rejected: 1, allowed: 2 };
  for (const c of [...r.conversations].sort((a, b) => order[a.verdict] - order[b.verdict])) {
    t.push([c.verdict, c.from, c.to, portText(c), c.records, c.flows.join('\n')]);
  }
  let out = `${t.toString()}\n`;
  if (r.unused.length) {
    const u = new Table({ head: ['unused flow', 'from', 'to', 'ports'], style: { head: [], border: [] } });
    for (const f of r.unused) u.push([f.flow, f.from, f.to, f.ports]);
    out += `${u.toString()}\n`;
  }
  return `${out}${simulateVerdict(r)}\n`;
}

function simulateMarkdown(r: SimulateResult): string {
  const lines = [`## Traffic simulation: ${r.segmentation}`, '', simulateVerdict(r), ''];
  const row = (c: SimulatedConversation) => `| \`${esc(c.from)}\` | \`${esc(c.to)}\` | ${portText(c)} | ${c.records} | ${c.bytes} |`;
  const blocked = r.conversations.filter(c => c.verdict === 'wouldBlock');
  if (blocked.length) {
    lines.push('### Would be blocked', '', '| from | to | port | records | bytes |', '|---|---|---|---:|---:|', ...blocked.map(row), '');
  }
  if (r.unknown.length) {
    lines.push('### Unknown internal addresses', '', '| address | records | peers |', '|---|---:|---|');
    for (const u of r.unknown) lines.push(`| ${u.address} | ${u.records} | ${u.peers.map(p => `\`${esc(p)}\``).join(', ')} |`);
    lines.push('');
  }
  if (r.unused.length) {
    lines.push('### Declared flows never observed', '', '| flow | from | to | ports |', '|---|---|---|---|');
    for (const f of r.unused) lines.push(`| ${esc(f.flow)} | \`${esc(f.from)}\` | \`${esc(f.to)}\` | ${f.ports} |`);
    lines.push('');
  }
  const c = r.coverage;
  lines.push('### Coverage', '', `conversations ${(c.conversations * 100).toFixed(1)}%, bytes ${(c.bytes * 100).toFixed(1)}%, allowed pairs ${(c.allowedPairs * 100).toFixed(1)}% of all workload pairs, observed ${(c.observedOfAllowed * 100).toFixed(1)}% of allowed pairs`);
  return lines.join('\n') + '\n';
}

function simulateSarif(r: SimulateResult): string {
  const results = r.conversations.filter(c => c.verdict === 'wouldBlock').map(c => ({
    ruleId: 'microseg/traffic/would-block',
    level: 'error',
    message: { text: `${c.from} -> ${c.to} ${portText(c)}: ${c.records} record(s) observed that the model does not allow.` },
    locations: [{ logicalLocations: [{ fullyQualifiedName: r.segmentation, kind: 'module' }] }],
    partialFingerprints: { conversation: `${c.from}|${c.to}|${portText(c)}` },
  }));
  const unused = r.unused.map(f => ({
    ruleId: 'microseg/traffic/unused-flow',
    level: 'note',
    message: { text: `${f.flow} (${f.from} -> ${f.to} ${f.ports}) was not observed in the window.` },
    locations: [{ logicalLocations: [{ fullyQualifiedName: f.flow, kind: 'member' }] }],
    partialFingerprints: { flow: f.flow },
  }));
  return JSON.stringify({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'microseg traffic simulate',
          informationUri: 'https://github.com/microseg/microseg/blob/main/docs/traffic.md',
          rules: [
            { id: 'microseg/traffic/would-block', shortDescription: { text: 'Observed traffic the declared model would block' }, defaultConfiguration: { level: 'error' } },
            { id: 'microseg/traffic/unused-flow', shortDescription: { text: 'Declared flow never observed' }, defaultConfiguration: { level: 'note' } },
          ],
        },
      },
      results: [...results, ...unused],
    }],
  }, null, 2) + '\n';
}

function simulateJunit(r: SimulateResult): string {
  const cases = r.conversations.filter(c => c.verdict !== 'rejected').map(c => {
    const name = xml(`${c.from} -> ${c.to} ${portText(c)}`);
    return c.verdict === 'wouldBlock'
      ? `    <testcase classname="${xml(r.segmentation)}" name="${name}"><failure message="would be blocked">${c.records} record(s) observed that the model does not allow</failure></testcase>`
      : `    <testcase classname="${xml(r.segmentation)}" name="${name}"/>`;
  });
  const failures = r.conversations.filter(c => c.verdict === 'wouldBlock').length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="microseg traffic simulate" tests="${cases.length}" failures="${failures}">\n` +
    `  <testsuite name="${xml(r.segmentation)}" tests="${cases.length}" failures="${failures}">\n${cases.join('\n')}${cases.length ? '\n' : ''}  </testsuite>\n</testsuites>\n`;
}
