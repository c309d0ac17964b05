/**
 * Regenerates the example's shipped flow logs (logs/) deterministically: the shop's traffic as
 * AWS S3 delivers it (gzip, header line, a custom version 5 field order with tcp-flags) on two
 * days, with replicas, clients on ephemeral ports, internet clients, gRPC on 50051, pooled
 * connections, rejected SSH attempts and NODATA records.
 *
 *   npx tsx examples/traffic/generate.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { SHOP } from '../../test/traffic/helpers';
import { writeS3 } from '../../test/support/traffic-generator';

const logs = path.join(__dirname, 'logs');
fs.rmSync(logs, { recursive: true, force: true });
// 2026-11-02 and 2026-11-03, 10:00 UTC
for (const [i, start] of [1_793_613_600, 1_793_700_000].entries()) {
  writeS3(SHOP, { format: 'v5', start, seed: 100 + i, nodata: 2, root: logs, perFile: 120 });
}
console.log(`written: ${path.relative(process.cwd(), logs)}`);
