/**
 * examples/segmentation-map: the shop's manifest replayed against the shipped flow logs, drawn and
 * counted: the unknown legacy database is a would-block edge, the unused flow, the expiring flow
 * and the invariants' verdicts are in the report, the page is self-contained.
 */
import * as fs from 'fs';
import { describe, expect, it } from 'vitest';
import { workDir } from './fixture';

describe('examples/segmentation-map', () => {
  it('writes the map and the report of the shop with its traffic', async () => {
    const { run } = await import('../../examples/segmentation-map/main.js');
    const { lines, files } = await run(workDir('example-map'));
    expect(lines[0]).toMatch(/^map: 3 zones, 6 workloads, 2 peers, 8 edges, \d+ KiB, self-contained: /);
    expect(lines[1]).toBe('report: shop: 6 workloads, 5/30 pairs allowed (16.7%), 6 flows of 3 owners, 1 expiring, 1 unused flows, 1 conversations would be blocked, invariants 3/3 hold.');
    expect(lines).toContain('  unused Shop/EmailToCart (workload:email -> workload:cart tcp:7000, owner cart-team)');
    expect(lines.some(l => /^ {2}expiring Shop\/FrontendCache on \d{4}-\d{2}-\d{2} \(21 days, owner web-team\)$/.test(l))).toBe(true);
    const html = fs.readFileSync(files.map, 'utf8');
    expect(html).toContain('default-src \'none\'');
    expect(html).toContain('addresses outside the model'); // checkout -> 10.0.2.250 would be blocked
    expect(html).toContain('<h2>Invariants (3 of 3 hold)</h2>');
    expect(html).toContain('data-invariant="Shop/InternetNeverReachesPayments" data-holds="true"');
    const report = JSON.parse(fs.readFileSync(files.json, 'utf8'));
    expect(report.traffic).toMatchObject({ wouldBlock: 1, unknownAddresses: 1 });
    expect(report.owners.map((o: any) => `${o.owner}:${o.flows}:${o.unused}`)).toEqual(['web-team:3:0', 'cart-team:2:1', 'payments-team:1:0']);
    expect(fs.readFileSync(files.markdown, 'utf8')).toContain('| Shop/EmailToCart | workload:email | workload:cart | tcp:7000 | cart-team |');
  });
});
