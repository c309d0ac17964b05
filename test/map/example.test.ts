/**
 * examples/segmentation-map: the shop's manifest replayed against the shipped flow logs of three
 * clouds, drawn and counted: the unknown legacy database (AWS) and analytics reading Redis (GCP)
 * are would-block edges, the Azure and GCP zones are on the map, the unused flow, the expiring
 * flow and the invariants' verdicts are in the report, the page is self-contained.
 */
import * as fs from 'fs';
import { describe, expect, it } from 'vitest';
import { workDir } from './fixture';

describe('examples/segmentation-map', () => {
  it('writes the map and the report of the shop with its traffic', async () => {
    const { run } = await import('../../examples/segmentation-map/main.js');
    const { lines, files } = await run(workDir('example-map'));
    expect(lines[0]).toMatch(/^map: 5 zones, 8 workloads, 2 peers, 11 edges, \d+ KiB, self-contained: /);
    expect(lines[1]).toBe('report: shop: 8 workloads, 7/56 pairs allowed (12.5%), 8 flows of 4 owners, 1 expiring, 1 unused flows, 2 conversations would be blocked, invariants 3/3 hold.');
    expect(lines).toContain('  unused Shop/EmailToCart (workload:email -> workload:cart tcp:7000, owner cart-team)');
    expect(lines.some(l => /^ {2}expiring Shop\/FrontendCache on \d{4}-\d{2}-\d{2} \(21 days, owner web-team\)$/.test(l))).toBe(true);
    const html = fs.readFileSync(files.map, 'utf8');
    expect(html).toContain('default-src \'none\'');
    expect(html).toContain('addresses outside the model'); // checkout -> 10.0.2.250 would be blocked
    expect(html).toContain('<h2>Invariants (3 of 3 hold)</h2>');
    expect(html).toContain('data-invariant="Shop/InternetNeverReachesPayments" data-holds="true"');
    const report = JSON.parse(fs.readFileSync(files.json, 'utf8'));
    expect(report.traffic).toMatchObject({ wouldBlock: 2, unknownAddresses: 1 });
    expect(report.owners.map((o: any) => `${o.owner}:${o.flows}:${o.unused}`)).toEqual(['web-team:3:0', 'cart-team:2:1', 'payments-team:2:0', 'data-team:1:0']);
    // the Azure and GCP workloads, and analytics (GCP) reading Redis (AWS) undeclared
    const sim = JSON.parse(fs.readFileSync(files.simulation, 'utf8'));
    expect(sim.conversations.filter((c: any) => c.verdict === 'wouldBlock').map((c: any) => `${c.from} > ${c.to}`).sort())
      .toEqual(['workload:analytics > workload:redis', 'workload:checkout > ipv4:10.0.2.250']);
    expect(sim.conversations.some((c: any) => c.from === 'workload:checkout' && c.to === 'workload:fraud' && c.verdict === 'allowed')).toBe(true);
    expect(fs.readFileSync(files.markdown, 'utf8')).toContain('| Shop/EmailToCart | workload:email | workload:cart | tcp:7000 | cart-team |');
  });
});
