/**
 * The map in a real headless browser: Debian's Chromium driven by playwright-core. The page draws
 * every node and edge of the fixture, logs no console error, sends no request, shows a workload's
 * blast radius on click (the analysis's own answer), and expands a collapsed zone on click.
 * Screenshots go to .tmp/test-output/map/.
 *
 * No browser is no skip: the test fails and says how to install one (`.ci/run` installs the
 * chromium package when it is missing).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blastRadiusOf } from '../../src/analysis/blast-radius';
import { AnalysisEndpointKind } from '../../src/analysis/types';
import { compile } from '../../src/ir/compile';
import { MapCollapse, SegmentationMap } from '../../src/map';
import { buildGraph } from '../../src/map/graph';
import { loadSource } from '../../src/map/source';
import { fixtureModel, NOW, workDir, writeFixture } from './fixture';

const OUT = path.resolve(__dirname, '..', '..', '.tmp', 'test-output', 'map');
const CANDIDATES = [process.env.MICROSEG_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((x): x is string => !!x);

/** The browser, or a clear failure. */
function chromiumPath(): string {
  const found = CANDIDATES.find(p => fs.existsSync(p));
  if (!found) {
    throw new Error(`No Chromium found (looked at ${CANDIDATES.join(', ')}). Install Debian's package: apt-get install -y chromium ` +
      '(.ci/run does this), or point MICROSEG_CHROMIUM at a Chromium binary.');
  }
  return found;
}

interface Loaded { page: Page; errors: string[]; requests: string[] }

describe('map in a headless browser', () => {
  let browser: Browser;
  const dir = workDir('map-browser');
  const { manifest, traffic } = writeFixture(dir);

  beforeAll(async () => {
    const executablePath = chromiumPath();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    fs.mkdirSync(OUT, { recursive: true });
  });
  afterAll(async () => { await browser?.close(); });

  async function open(file: string): Promise<Loaded> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', e => errors.push(`pageerror: ${e.message}`));
    page.on('request', r => requests.push(r.url()));
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return { page, errors, requests };
  }

  it('draws every node and edge, with no console error and no request', async () => {
    const file = path.join(dir, 'map.html');
    await SegmentationMap.write({ manifest, traffic, output: file, collapse: MapCollapse.NONE, invariants: true });
    const { page, errors, requests } = await open(file);
    const graph = buildGraph(loadSource({ manifest, traffic }).policy, loadSource({ manifest, traffic }).traffic);

    const nodes = await page.$$eval('[data-node]', els => els.map(e => `${e.getAttribute('data-kind')}:${e.getAttribute('data-name')}`));
    expect(nodes.sort()).toEqual(graph.nodes.map(n => `${n.kind}:${n.name}`).sort());
    const hidden = await page.$$eval('.node.hidden', els => els.length);
    expect(hidden).toBe(0);

    const edges = await page.$$eval('path.edge', els => els.map(e => `${e.getAttribute('data-s')}>${e.getAttribute('data-t')}:${e.getAttribute('data-kind')}`));
    expect(edges.sort()).toEqual(graph.edges.map(e => `${e.source}>${e.target}:${e.kind}`).sort());
    // every kind of the fixture is there: declared, observed, unused, would-block, deny
    expect(new Set(graph.edges.map(e => e.kind))).toEqual(new Set(['allowed', 'observed', 'unused', 'wouldBlock', 'deny']));
    // the would-block call to an unknown private host is drawn at "addresses outside the model", not at the internet
    const unknown = graph.nodes.find(n => n.name === 'unknown')!;
    expect(graph.edges.some(e => e.kind === 'wouldBlock' && e.target === unknown.id)).toBe(true);

    // legend and text alternative
    expect(await page.$$eval('#legend [data-legend]', els => els.map(e => e.getAttribute('data-legend')))).toEqual(['allowed', 'observed', 'unused', 'wouldBlock', 'deny']);
    expect(await page.$$eval('#t-flows tbody tr', els => els.length)).toBe(7);
    expect(await page.isVisible('#t-flows')).toBe(false);
    await page.click('#tables');
    expect(await page.isVisible('#t-flows')).toBe(true);
    expect(await page.textContent('#invariants')).toContain('No invariants declared');

    await page.screenshot({ path: path.join(OUT, 'fixture.png') });
    expect(errors).toEqual([]);
    expect(requests.filter(u => u !== `file://${file}`)).toEqual([]);
  });

  it('a click on a workload highlights its blast radius, as the analysis computes it', async () => {
    const file = path.join(dir, 'map-blast.html');
    await SegmentationMap.write({ manifest, output: file, collapse: MapCollapse.NONE });
    const { page, errors } = await open(file);
    await page.click('[data-kind="workload"][data-name="frontend"]');
    await page.waitForSelector('#panel h2');
    expect(await page.textContent('#panel h2')).toBe('Blast radius of frontend');
    const hit = await page.$$eval('.node.hit', els => els.map(e => e.getAttribute('data-name')));
    const policy = compile(fixtureModel(), { now: new Date(NOW) });
    const expected = blastRadiusOf(policy, 'frontend').reachable.filter(t => t.kind === AnalysisEndpointKind.WORKLOAD).map(t => t.target);
    expect(expected.length).toBeGreaterThan(2); // the fixture pivots: frontend -> checkout -> payments -> db
    expect(hit.filter(n => expected.includes(n!)).sort()).toEqual([...expected].sort());
    expect(await page.$eval('.node.origin', e => e.getAttribute('data-name'))).toBe('frontend');
    expect(await page.$$eval('path.edge.hot', els => els.length)).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(OUT, 'fixture-blast.png') });
    // a click on the background clears it
    await page.click('#map', { position: { x: 5, y: 5 } });
    expect(await page.$$eval('.node.hit', els => els.length)).toBe(0);
    expect(errors).toEqual([]);
  });

  it('collapsed zones aggregate their edges and expand on click', async () => {
    const file = path.join(dir, 'map-collapsed.html');
    await SegmentationMap.write({ manifest, traffic, output: file, collapse: MapCollapse.ALL });
    const { page, errors } = await open(file);
    expect(await page.$$eval('.zone.collapsed', els => els.length)).toBe(3);
    expect(await page.$$eval('.node.workload:not(.hidden)', els => els.length)).toBe(0);
    const collapsedEdges = await page.$$eval('path.edge', els => els.length);
    await page.screenshot({ path: path.join(OUT, 'fixture-collapsed.png') });
    await page.click('.zone[data-name="services"] .head');
    expect(await page.$$eval('.zone.collapsed', els => els.length)).toBe(2);
    expect((await page.$$eval('.node.workload:not(.hidden)', els => els.map(e => e.getAttribute('data-name')))).sort()).toEqual(['cart', 'checkout', 'payments']);
    expect(await page.$$eval('path.edge', els => els.length)).toBeGreaterThan(collapsedEdges);
    await page.click('[data-kind="workload"][data-name="checkout"]');
    // payments is reached in an expanded zone, db inside the collapsed data zone: the zone is marked
    expect(await page.$$eval('.node.hit', els => els.map(e => e.getAttribute('data-name')))).toContain('payments');
    expect(await page.$eval('.zone[data-name="data"]', e => e.classList.contains('hit'))).toBe(true);
    await page.screenshot({ path: path.join(OUT, 'fixture-expanded-one.png') });
    expect(errors).toEqual([]);
  });
});
