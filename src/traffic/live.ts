/**
 * `--live`: the inventory read from the clouds instead of saved files, through the same lazily
 * loaded SDKs as the audit (a missing one is `[microseg:MissingSdk]` with its `npm i` line). Each
 * read yields the documents the CLI commands of inventory.ts save, so one parser serves both:
 * - AWS (`@aws-sdk/client-ec2`, per region): DescribeInstances, DescribeNetworkInterfaces,
 *   DescribeSubnets, DescribeSecurityGroups (every page; the standard credential chain and
 *   endpoint resolution, e.g. `AWS_ENDPOINT_URL_EC2`).
 * - Azure (`@azure/arm-network`): network interfaces, application security groups and virtual
 *   networks' subnets of the subscription (or of one resource group).
 * - GCP (`@google-cloud/compute`): instances and subnetworks of the project (aggregated lists).
 * Any API error stops the read (`InventoryUnreadable`, exit 2): a partial inventory would turn
 * known hosts into unknown ones.
 */
import { allowLoopbackBearer, azureClientOptions, azureCredential, gcpEndpointOptions, gcpTokenClient } from '../optional/clients';
import { loadOptional, sdkInstall } from '../optional/load';
import { TrafficError } from './errors';
import { InventoryDoc } from './inventory';
import { TrafficReadOptions } from './types';

/** Where and how to read a cloud's inventory. */
export interface LiveInventoryOptions {
  /** `aws`, `azure` or `gcp`. */
  readonly cloud: string;
  /** AWS regions (default: `AWS_REGION`). */
  readonly regions?: string[];
  /** Azure subscription (default: `AZURE_SUBSCRIPTION_ID`). */
  readonly subscriptionId?: string;
  /** Azure resource group (default: the whole subscription). */
  readonly resourceGroup?: string;
  /** GCP project (default: `GOOGLE_CLOUD_PROJECT`). */
  readonly project?: string;
  /** API endpoint (sovereign clouds, local emulators). */
  readonly endpoint?: string;
}

/** Loads an SDK on first use, or throws `[microseg:MissingSdk]` with the install line (`MICROSEG_HIDE_SDKS` hides one in tests). */
function loadSdk<T = any>(name: string, cloud: string, deep?: string): T {
  return loadOptional<T>(name, {
    code: 'MissingSdk', path: `traffic/${cloud}`,
    message: `is needed to read the ${cloud} inventory live but is not installed.`,
    install: sdkInstall(name),
  }, deep);
}

function failed(cloud: string, what: string, e: unknown): never {
  if ((e as { code?: string })?.code === 'MissingSdk') throw e;
  throw new TrafficError('InventoryUnreadable', `--live ${cloud}`, `could not read ${what}`, `${(e as Error)?.message ?? e}`.split('\n')[0]);
}

/** Reads one cloud's inventory documents. */
export async function liveInventory(o: LiveInventoryOptions): Promise<InventoryDoc[]> {
  if (o.cloud === 'aws') return liveAws(o);
  if (o.cloud === 'azure') return liveAzure(o);
  if (o.cloud === 'gcp') return liveGcp(o);
  throw new TrafficError('InvalidOption', '--cloud', `"${o.cloud}" is not supported`, 'Use aws, azure or gcp.');
}

async function liveAws(o: LiveInventoryOptions): Promise<InventoryDoc[]> {
  const sdk = loadSdk<any>('@aws-sdk/client-ec2', 'aws');
  const regions = o.regions?.length ? o.regions : [process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION].filter((r): r is string => !!r);
  if (!regions.length) throw new TrafficError('InvalidOption', '--region', 'is needed to read AWS live', 'Pass --region <region> or set AWS_REGION.');
  const docs: InventoryDoc[] = [];
  for (const region of regions) {
    const client = new sdk.EC2Client({ region, ...(o.endpoint ? { endpoint: o.endpoint } : {}), maxAttempts: 5 });
    try {
      const pages = async (paginate: any, key: string) => {
        const all: unknown[] = [];
        try {
          for await (const page of paginate({ client, pageSize: 1000 }, {})) all.push(...(page[key] ?? []));
        } catch (e) {
          failed('aws', `${key} in ${region}`, e);
        }
        return { source: `aws:${region}:${key}`, doc: { [key]: all } };
      };
      docs.push(await pages(sdk.paginateDescribeInstances, 'Reservations'));
      docs.push(await pages(sdk.paginateDescribeNetworkInterfaces, 'NetworkInterfaces'));
      docs.push(await pages(sdk.paginateDescribeSubnets, 'Subnets'));
      docs.push(await pages(sdk.paginateDescribeSecurityGroups, 'SecurityGroups'));
    } finally {
      client.destroy?.();
    }
  }
  return docs;
}

async function liveAzure(o: LiveInventoryOptions): Promise<InventoryDoc[]> {
  const network = loadSdk<any>('@azure/arm-network', 'azure');
  const subscriptionId = o.subscriptionId ?? process.env.AZURE_SUBSCRIPTION_ID;
  if (!subscriptionId) throw new TrafficError('InvalidOption', '--subscription', 'is needed to read Azure live', 'Pass --subscription <id> or set AZURE_SUBSCRIPTION_ID.');
  const credential = azureCredential(() => loadSdk<any>('@azure/identity', 'azure'));
  const endpoint = o.endpoint?.replace(/\/+$/, '');
  const client = new network.NetworkManagementClient(credential, subscriptionId, azureClientOptions(endpoint, 5));
  allowLoopbackBearer(client, credential, endpoint);
  const rg = o.resourceGroup;
  const all = async (what: string, it: () => AsyncIterable<any>) => {
    const out: any[] = [];
    try {
      for await (const x of it()) out.push(x);
    } catch (e) {
      failed('azure', what, e);
    }
    return out;
  };
  const nics = await all('network interfaces', () => (rg ? client.networkInterfaces.list(rg) : client.networkInterfaces.listAll()));
  const asgs = await all('application security groups', () => (rg ? client.applicationSecurityGroups.list(rg) : client.applicationSecurityGroups.listAll()));
  const vnets = await all('virtual networks', () => (rg ? client.virtualNetworks.list(rg) : client.virtualNetworks.listAll()));
  const subnets = vnets.flatMap(v => (v.subnets ?? []).map((s: any) => ({ ...s, type: s.type ?? 'Microsoft.Network/virtualNetworks/subnets' })));
  return [
    { source: 'azure:networkInterfaces', doc: nics.map(n => ({ ...n, type: n.type ?? 'Microsoft.Network/networkInterfaces' })) },
    { source: 'azure:applicationSecurityGroups', doc: asgs.map(a => ({ ...a, type: a.type ?? 'Microsoft.Network/applicationSecurityGroups' })) },
    { source: 'azure:subnets', doc: subnets },
  ];
}

async function liveGcp(o: LiveInventoryOptions): Promise<InventoryDoc[]> {
  const project = o.project ?? process.env.GOOGLE_CLOUD_PROJECT;
  if (!project) throw new TrafficError('InvalidOption', '--project', 'is needed to read GCP live', 'Pass --project <id> or set GOOGLE_CLOUD_PROJECT.');
  // the package index loads ~100 clients: the two clients needed are enough
  const instancesSdk = loadSdk<any>('@google-cloud/compute', 'gcp', 'build/src/v1/instances_client.js');
  const subnetsSdk = loadSdk<any>('@google-cloud/compute', 'gcp', 'build/src/v1/subnetworks_client.js');
  const options: Record<string, unknown> = { fallback: true, ...gcpEndpointOptions(o.endpoint) };
  const authClient = gcpTokenClient();
  if (authClient) options.authClient = authClient;
  const read = async (Client: any, what: string, key: string) => {
    const client = new Client(options);
    const out: any[] = [];
    try {
      for await (const [, scoped] of client.aggregatedListAsync({ project, maxResults: 500 })) out.push(...(scoped?.[key] ?? []));
    } catch (e) {
      failed('gcp', what, e);
    } finally {
      await client.close?.();
    }
    return out;
  };
  const instances = await read(instancesSdk.InstancesClient, 'instances', 'instances');
  const subnetworks = await read(subnetsSdk.SubnetworksClient, 'subnetworks', 'subnetworks');
  return [
    { source: 'gcp:instances', doc: instances.map(i => ({ ...i, kind: 'compute#instance' })) },
    { source: 'gcp:subnetworks', doc: subnetworks.map(s => ({ ...s, kind: 'compute#subnetwork' })) },
  ];
}

/** The live inventory documents the options ask for (none without `live`). */
export async function liveDocs(options: TrafficReadOptions): Promise<InventoryDoc[]> {
  const docs: InventoryDoc[] = [];
  for (const cloud of [...new Set(options.live ?? [])]) {
    docs.push(...await liveInventory({
      cloud, regions: options.regions, subscriptionId: options.subscriptionId, resourceGroup: options.resourceGroup,
      project: options.project, endpoint: options.liveEndpoint,
    }));
  }
  return docs;
}
