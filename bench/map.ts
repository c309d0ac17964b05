/**
 * Map bench: `microseg map` on the bench's M and L models (bench/models.ts): generation time
 * (graph, elkjs layout, page) and page size, and, when a Chromium is installed (Debian's
 * `chromium`, as the browser test uses), the time from opening the file to the drawn page (and,
 * as its floor, the time to open a blank page the same way), and for L the time to expand every zone.
 *
 *   BENCH_ARGS="--only map" npm run bench
 *   npx tsx bench/map.ts
 *
 * Prints one line per figure and returns them (bench/run.ts merges them into results.json).
 */
import * as fs from 'fs';
import * as path from 'path';
import { compile } from '../src/ir/compile';
import { buildManifest, serializeManifest } from '../src/ir/manifest';
import { SegmentationMap } from '../src/map';
import { buildSegmentation, DEFAULT_SEED, generateTopology } from './models';

export interface MapFigure { readonly id: string; readonly value: number; readonly unit: string; readonly note?: string }

const CHROMIUM = [process.env.MICROSEG_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((x): x is string => !!x).find(p => fs.existsSync(p));

/** A page with nothing to draw: the browser's own cost of opening a file and signalling ready (the floor of `open`). */
const BLANK = '<!doctype html><html><body><p>blank</p><script>document.body.dataset.ready = "true"</script></body></html>';

async function pageLoad(file: string, expandAll: boolean): Promise<{ load: number; floor: number; expand?: number } | undefined> {
  if (!CHROMIUM) return undefined;
  const blank = path.join(path.dirname(file), 'blank.html');
  fs.writeFileSync(blank, BLANK);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // warm-up: the browser's own start-up and its first file:// renderer are not the page's
    await page.goto('about:blank');
    const opened = async (f: string) => {
      const t = performance.now();
      await page.goto(`file://${f}`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
      return performance.now() - t;
    };
    await opened(blank);
    const floor = await opened(blank);
    const load = await opened(file);
    if (!expandAll) return { load, floor };
    const t1 = performance.now();
    await page.click('#expand');
    await page.evaluate(() => new Promise(r => requestAnimationFrame(() => r(null))));
    return { load, floor, expand: performance.now() - t1 };
  } finally {
    await browser.close();
  }
}

/** Runs the map figures for `sizes`. */
export async function runMapBench(args: { sizes: string[]; outRoot: string; seed?: string }): Promise<MapFigure[]> {
  const out: MapFigure[] = [];
  const dir = path.join(args.outRoot, 'map');
  fs.mkdirSync(dir, { recursive: true });
  for (const size of args.sizes.filter(s => s === 'M' || s === 'L') as ('M' | 'L')[]) {
    const { seg } = buildSegmentation(undefined, generateTopology(size, args.seed ?? DEFAULT_SEED));
    const manifest = path.join(dir, `bench-${size}.microseg.json`);
    fs.writeFileSync(manifest, serializeManifest(buildManifest(compile(seg))));
    const file = path.join(dir, `map-${size}.html`);
    const t0 = performance.now();
    const s = await SegmentationMap.write({ manifest, output: file });
    const ms = performance.now() - t0;
    const note = `${s.zones} zones, ${s.workloads} workloads, ${s.edges} edges, zones ${s.collapsed ? 'collapsed' : 'expanded'} at open`;
    out.push({ id: `map:${size}:generate`, value: Math.round(ms), unit: 'ms', note });
    out.push({ id: `map:${size}:bytes`, value: s.bytes, unit: 'bytes' });
    const browser = await pageLoad(file, size === 'L');
    if (browser) {
      out.push({ id: `map:${size}:open`, value: Math.round(browser.load), unit: 'ms', note: 'file opened to page drawn, headless Chromium' });
      out.push({ id: `map:${size}:open-floor`, value: Math.round(browser.floor), unit: 'ms', note: 'a blank page opened the same way, just before (the browser\'s share of open)' });
      if (browser.expand !== undefined) out.push({ id: `map:${size}:expand-all`, value: Math.round(browser.expand), unit: 'ms', note: 'every zone expanded (all workload edges drawn)' });
    }
    for (const f of out.filter(x => x.id.startsWith(`map:${size}:`))) console.log(`${f.id.padEnd(22)} ${String(f.value).padStart(10)} ${f.unit}${f.note ? `  (${f.note})` : ''}`);
    if (!browser) console.log(`map:${size}:open            (no Chromium: install Debian's chromium to measure the page load)`);
  }
  return out;
}

if (require.main === module) {
  void runMapBench({ sizes: ['M', 'L'], outRoot: path.resolve(__dirname, 'out') });
}
