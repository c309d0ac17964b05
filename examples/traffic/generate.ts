/**
 * Regenerates the example's shipped flow logs and the Azure and GCP inventory deterministically.
 * The shop runs in three clouds, joined by private links (address ranges that do not overlap):
 * - AWS, 10.0.0.0/16 (logs/): the shop's traffic as S3 delivers it (gzip, header line, a custom
 *   version 5 field order with tcp-flags) on two days, with replicas, clients on ephemeral ports,
 *   internet clients, gRPC on 50051, pooled connections, rejected SSH attempts and NODATA records;
 * - Azure, 10.1.0.0/24 (logs-azure/): the fraud-scoring VM's VNet flow log (version 4, `PT1H.json`
 *   in the storage account's layout): checkout calls it on 8443, an internet host's RDP attempts
 *   are denied;
 * - GCP, 10.2.0.0/24 (logs-gcp/): the analytics VM's VPC Flow Logs as Cloud Logging exports them
 *   (one entry per line): cart feeds it on 9092, and it reads Redis on 6379 (nobody declared that).
 *
 *   npx tsx examples/traffic/generate.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { SHOP } from '../../test/traffic/helpers';
import { GenEstate, writeAzureV4, writeGcp, writeS3 } from '../../test/support/traffic-generator';

/** The Azure part: one VM; the other ends are addresses in AWS or the internet. */
export const AZURE: GenEstate = {
  workloads: [{ name: 'fraud', zone: 'fraud', addresses: ['10.1.0.20'] }],
  calls: [
    { client: '10.0.2.20', server: 'fraud', protocol: 'tcp', port: 8443, connections: 4, windows: 2 },
    { client: '198.51.100.23', server: 'fraud', protocol: 'tcp', port: 3389, connections: 2, windows: 1, reject: true },
  ],
};

/** The GCP part: one VM. */
export const GCP: GenEstate = {
  workloads: [{ name: 'analytics', zone: 'analytics', addresses: ['10.2.0.30'] }],
  calls: [
    { client: '10.0.2.12', server: 'analytics', protocol: 'tcp', port: 9092, connections: 3, windows: 2 },
    { client: 'analytics', server: '10.0.3.5', protocol: 'tcp', port: 6379, connections: 2, windows: 1 },
  ],
};

if (require.main === module) {
  const here = __dirname;
  const logs = path.join(here, 'logs');
  fs.rmSync(logs, { recursive: true, force: true });
  // 2026-11-02 and 2026-11-03, 10:00 UTC
  for (const [i, start] of [1_793_613_600, 1_793_700_000].entries()) {
    writeS3(SHOP, { format: 'v5', start, seed: 100 + i, nodata: 2, root: logs, perFile: 120 });
  }
  for (const d of ['logs-azure', 'logs-gcp']) fs.rmSync(path.join(here, d), { recursive: true, force: true });
  writeAzureV4(AZURE, { root: path.join(here, 'logs-azure'), start: 1_793_617_200, seed: 200 });
  writeGcp(GCP, { root: path.join(here, 'logs-gcp'), start: 1_793_617_200, seed: 300 });

  // the inventory of the Azure and GCP VMs, as `az network nic list`, `az network vnet subnet list`,
  // `gcloud compute instances list --format=json` and `gcloud compute networks subnets list --format=json` write it
  const inv = path.join(here, 'inventory');
  const rg = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shop/providers';
  const write = (file: string, doc: unknown) => fs.writeFileSync(path.join(inv, file), JSON.stringify(doc, null, 2) + '\n');
  write('az-nic-list.json', [{
    name: 'fraud-1-nic', type: 'Microsoft.Network/networkInterfaces', tags: { app: 'fraud' },
    virtualMachine: { id: `${rg}/Microsoft.Compute/virtualMachines/fraud-1` },
    ipConfigurations: [{ name: 'ipconfig1', privateIPAddress: '10.1.0.20', subnet: { id: `${rg}/Microsoft.Network/virtualNetworks/shop-vnet/subnets/fraud` } }],
  }]);
  write('az-subnet-list.json', [{ id: `${rg}/Microsoft.Network/virtualNetworks/shop-vnet/subnets/fraud`, name: 'fraud', addressPrefix: '10.1.0.0/24', type: 'Microsoft.Network/virtualNetworks/subnets' }]);
  const subnet = 'https://www.googleapis.com/compute/v1/projects/shop-analytics/regions/europe-west1/subnetworks/analytics';
  write('gcloud-instances-list.json', [{ kind: 'compute#instance', name: 'analytics-1', labels: { app: 'analytics' }, networkInterfaces: [{ networkIP: '10.2.0.30', subnetwork: subnet }] }]);
  write('gcloud-subnets-list.json', [{ kind: 'compute#subnetwork', name: 'analytics', ipCidrRange: '10.2.0.0/24', selfLink: subnet }]);
  console.log(`written: ${['logs', 'logs-azure', 'logs-gcp', 'inventory'].map(d => path.relative(process.cwd(), path.join(here, d))).join(', ')}`);
}
