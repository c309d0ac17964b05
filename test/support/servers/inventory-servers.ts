/**
 * Local servers speaking the clouds' wire formats for the inventory calls of `traffic --live`
 * (the audit's servers answer the security-rule calls): EC2's query API (XML) for
 * DescribeInstances, DescribeNetworkInterfaces, DescribeSubnets and DescribeSecurityGroups; ARM
 * JSON for network interfaces, application security groups and virtual networks (subscription
 * or resource group); GCP Compute's aggregated instances and subnetworks lists. They answer from
 * the same documents the CLIs save (AWS CLI JSON, ARM REST objects, gcloud JSON), record every
 * request, and fail a named call on demand. Bound to 127.0.0.1 on a random port.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export interface InventoryServer { url: string; requests: string[]; close(): Promise<void> }

async function serve(handle: (req: http.IncomingMessage, body: string, url: URL) => { status: number; type: string; body: string }): Promise<InventoryServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => { body += c; });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let r: { status: number; type: string; body: string };
      try { r = handle(req, body, url); } catch (e) { r = { status: 500, type: 'text/plain', body: String(e) }; }
      requests.push(`${req.method} ${url.pathname}${body ? ` ${new URLSearchParams(body).get('Action') ?? ''}` : ''} ${r.status}`);
      res.writeHead(r.status, { 'content-type': r.type });
      res.end(r.body);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>(resolve => { server.closeAllConnections?.(); server.close(() => resolve()); }) };
}

/** EC2 XML element names of the AWS CLI's JSON keys (lists are `<xSet><item>...`). */
const EC2_LISTS: Record<string, string> = {
  Reservations: 'reservationSet', Instances: 'instancesSet', NetworkInterfaces: 'networkInterfaceSet', PrivateIpAddresses: 'privateIpAddressesSet',
  Ipv6Addresses: 'ipv6AddressesSet', Groups: 'groupSet', Tags: 'tagSet', TagSet: 'tagSet', Subnets: 'subnetSet',
  Ipv6CidrBlockAssociationSet: 'ipv6CidrBlockAssociationSet',
};
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const lower = (k: string) => k[0].toLowerCase() + k.slice(1);

function ec2Xml(value: unknown, key: string, parent?: string): string {
  if (Array.isArray(value)) {
    // an instance's security groups are its `groupSet`, the top-level list is `securityGroupInfo`
    const name = key === 'SecurityGroups' ? (parent === 'Instances' ? 'groupSet' : 'securityGroupInfo') : EC2_LISTS[key] ?? lower(key);
    return `<${name}>${value.map(v => `<item>${ec2Object(v, key)}</item>`).join('')}</${name}>`;
  }
  if (value && typeof value === 'object') return `<${lower(key)}>${ec2Object(value, key)}</${lower(key)}>`;
  return `<${lower(key)}>${esc(String(value))}</${lower(key)}>`;
}
function ec2Object(o: unknown, parent: string): string {
  if (!o || typeof o !== 'object') return esc(String(o));
  return Object.entries(o as Record<string, unknown>).map(([k, v]) => ec2Xml(v, k, parent)).join('');
}

/** EC2 answering the four Describe calls from AWS CLI documents; `fail` names an action to fail. */
export function startEc2InventoryServer(docs: { Reservations?: unknown[]; NetworkInterfaces?: unknown[]; Subnets?: unknown[]; SecurityGroups?: unknown[] }, fail?: string): Promise<InventoryServer> {
  const keys: Record<string, keyof typeof docs> = { DescribeInstances: 'Reservations', DescribeNetworkInterfaces: 'NetworkInterfaces', DescribeSubnets: 'Subnets', DescribeSecurityGroups: 'SecurityGroups' };
  return serve((_req, body) => {
    const action = new URLSearchParams(body).get('Action') ?? '';
    const key = keys[action];
    if (!key || action === fail) {
      const code = key ? 'UnauthorizedOperation' : 'InvalidAction';
      return { status: key ? 403 : 400, type: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>You are not authorized to perform ${esc(action)}.</Message></Error></Errors><RequestID>r1</RequestID></Response>` };
    }
    return { status: 200, type: 'text/xml', body: `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r1</requestId>${ec2Xml(docs[key] ?? [], key)}</${action}Response>` };
  });
}

/** ARM answering list calls of one subscription from REST objects (`properties` nested). */
export function startArmInventoryServer(state: { subscriptionId: string; networkInterfaces: unknown[]; applicationSecurityGroups: unknown[]; virtualNetworks: unknown[] }, fail?: string): Promise<InventoryServer> {
  return serve((req, _body, url) => {
    const m = new RegExp(`^/subscriptions/${state.subscriptionId}(?:/resourceGroups/[^/]+)?/providers/Microsoft.Network/(networkInterfaces|applicationSecurityGroups|virtualNetworks)$`, 'i').exec(url.pathname);
    if (req.method !== 'GET' || !url.searchParams.get('api-version') || !m) return { status: 404, type: 'application/json', body: JSON.stringify({ error: { code: 'NotFound', message: url.pathname } }) };
    if (m[1] === fail) return { status: 403, type: 'application/json', body: JSON.stringify({ error: { code: 'AuthorizationFailed', message: `no read on ${m[1]}` } }) };
    return { status: 200, type: 'application/json', body: JSON.stringify({ value: state[m[1] as 'networkInterfaces'] }) };
  });
}

/** GCP Compute answering the aggregated instances and subnetworks lists from gcloud documents. */
export function startGcpInventoryServer(state: { project: string; instances: any[]; subnetworks: any[] }, fail?: string): Promise<InventoryServer> {
  return serve((req, _body, url) => {
    const m = new RegExp(`^/compute/v1/projects/${state.project}/aggregated/(instances|subnetworks)$`).exec(url.pathname);
    if (req.method !== 'GET' || !m) return { status: 404, type: 'application/json', body: JSON.stringify({ error: { code: 404, message: `The resource '${url.pathname}' was not found`, errors: [{ reason: 'notFound' }] } }) };
    if (m[1] === fail) return { status: 403, type: 'application/json', body: JSON.stringify({ error: { code: 403, message: `Required 'compute.${m[1]}.list' permission`, errors: [{ reason: 'forbidden' }] } }) };
    const items: Record<string, unknown> = {};
    for (const x of state[m[1] as 'instances']) {
      const scope = m[1] === 'instances' ? `zones/${String(x.zone ?? 'zones/europe-west1-b').split('/').pop()}` : `regions/${String(x.region ?? 'regions/europe-west1').split('/').pop()}`;
      const bucket = (items[scope] ??= { [m[1]]: [] }) as Record<string, unknown[]>;
      bucket[m[1]].push(x);
    }
    return { status: 200, type: 'application/json', body: JSON.stringify({ kind: `compute#${m[1] === 'instances' ? 'instance' : 'subnetwork'}AggregatedList`, id: 'x', items, selfLink: url.toString() }) };
  });
}
