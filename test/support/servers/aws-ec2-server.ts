/**
 * A local EC2 endpoint for tests and the bench: speaks the EC2 Query protocol (form-encoded POST,
 * XML responses, `MaxResults`/`NextToken` paging, `Filter.N.Name`/`Filter.N.Value.M` filters) for
 * the Describe calls the audit reader uses, records every request, and can inject faults
 * (throttling, failing pages). Bound to 127.0.0.1 on a random port; `close()` when done.
 */
import { createHash } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { CanonicalRule } from '../../../src/ir/canonical';
import { Manifest } from '../../../src/ir/manifest';
import { closeWithLifetime, Hostile, sendHostile } from './faults';

export interface Ec2Group { groupId: string; groupName: string; vpcId: string; description?: string; tags: Record<string, string> }
export interface Ec2Rule {
  ruleId: string; groupId: string; isEgress: boolean; ipProtocol: string; fromPort: number; toPort: number;
  cidrIpv4?: string; cidrIpv6?: string; prefixListId?: string; referencedGroupId?: string; description?: string;
}
export interface Ec2AclEntry {
  ruleNumber: number; protocol: string; ruleAction: 'allow' | 'deny'; egress: boolean; cidrBlock?: string; ipv6CidrBlock?: string;
  icmp?: { type: number; code: number }; portRange?: { from: number; to: number };
}
export interface Ec2Acl { networkAclId: string; vpcId: string; tags: Record<string, string>; entries: Ec2AclEntry[]; associations?: string[] }
export interface Ec2Subnet { subnetId: string; vpcId: string; cidrBlock: string; tags: Record<string, string> }
export interface Ec2Eni { networkInterfaceId: string; groupIds: string[] }
/** The whole state the server answers from (mutable: tests inject drift into it). */
export interface Ec2State { securityGroups: Ec2Group[]; rules: Ec2Rule[]; networkAcls: Ec2Acl[]; networkInterfaces: Ec2Eni[]; subnets?: Ec2Subnet[] }

/** A recorded request. */
export interface RecordedRequest { method: string; path: string; action: string; params: Record<string, string>; status: number; region?: string }

/** A fault to inject: return it to fail the request. */
export interface Ec2Fault { status: number; code: string; message: string }

export interface Ec2ServerOptions {
  /** Called for every request; a returned fault is the response. `page` is 1-based. */
  fault?: (req: { action: string; params: Record<string, string>; page: number; count: number }) => Ec2Fault | undefined;
  /** Largest page the server returns (default 1000, the real maximum). */
  maxPage?: number;
  /** Per-region states (from the SigV4 credential scope); other regions get the main state. */
  regions?: Record<string, Ec2State>;
  /** Tests: rules DescribeSecurityGroupRules lists (default all), to simulate an incomplete page. */
  rulesFilter?: (r: Ec2Rule) => boolean;
  /** A hostile answer instead of the real one (garbage, hang, drip feed). */
  hostile?: (req: { action: string; params: Record<string, string>; page: number; count: number }) => Hostile | undefined;
  /** Replaces the continuation token of a real answer (token loops: the same token, or a new one every page). */
  nextToken?: (req: { action: string; count: number }) => string | undefined;
  /** Closes itself after this many milliseconds (default {@link SERVER_LIFETIME_MS}). */
  lifetimeMs?: number;
}

export interface Ec2Server {
  url: string;
  requests: RecordedRequest[];
  /** Milliseconds the server spent building responses (in this process: subtract it from a measured audit time). */
  readonly busyMs: number;
  state: Ec2State;
  close(): Promise<void>;
}

/** EC2's throttling error. */
export const THROTTLE: Ec2Fault = { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' };

const READ_ACTIONS = new Set(['DescribeSecurityGroups', 'DescribeSecurityGroupRules', 'DescribeNetworkAcls', 'DescribeNetworkInterfaces', 'DescribeSubnets']);

/** Starts the server on 127.0.0.1 with a random port. */
export async function startEc2Server(state: Ec2State, options: Ec2ServerOptions = {}): Promise<Ec2Server> {
  const requests: RecordedRequest[] = [];
  const counts = new Map<string, number>();
  let busyMs = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const started = performance.now();
      try { handle(); } finally { busyMs += performance.now() - started; }
    });
    const handle = () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const params: Record<string, string> = Object.fromEntries(url.searchParams);
      for (const [k, v] of new URLSearchParams(body)) params[k] = v;
      const action = params.Action ?? '';
      const count = (counts.get(action) ?? 0) + 1;
      counts.set(action, count);
      const region = /Credential=[^/]+\/\d+\/([^/]+)\/ec2\//.exec(String(req.headers.authorization ?? ''))?.[1];
      const send = (status: number, xml: string) => {
        requests.push({ method: req.method ?? '', path: url.pathname, action, params, status, region });
        res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId(requests.length) });
        res.end(xml);
      };
      try {
        if (!READ_ACTIONS.has(action)) return send(400, errorXml('InvalidAction', `The action ${action} is not valid for this web service.`));
        const pageSize = params.MaxResults ? Number(params.MaxResults) : undefined;
        if (pageSize !== undefined && (pageSize < 5 || pageSize > 1000)) {
          return send(400, errorXml('InvalidParameterValue', `Value (${pageSize}) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`));
        }
        const decoded = params.NextToken ? Number(Buffer.from(params.NextToken, 'base64url').toString()) : 0;
        const offset = Number.isFinite(decoded) ? decoded : 0;
        const size = Math.min(pageSize ?? Number.MAX_SAFE_INTEGER, options.maxPage ?? 1000);
        const page = Math.floor(offset / Math.max(size, 1)) + 1;
        const fault = options.fault?.({ action, params, page, count });
        if (fault) return send(fault.status, errorXml(fault.code, fault.message));
        const hostile = options.hostile?.({ action, params, page, count });
        if (hostile) {
          requests.push({ method: req.method ?? '', path: url.pathname, action, params, status: 'status' in hostile ? hostile.status ?? 200 : 200, region });
          return sendHostile(res, hostile);
        }
        const filters = parseFilters(params);
        let xml = respond((region && options.regions?.[region]) || state, action, filters, offset, size, options.rulesFilter);
        const token = options.nextToken?.({ action, count });
        if (token !== undefined) xml = xml.replace(/<nextToken>[^<]*<\/nextToken>/, '').replace(`</${action}Response>`, `<nextToken>${token}</nextToken></${action}Response>`);
        send(200, xml);
      } catch (e) {
        send(400, errorXml('InvalidParameterValue', (e as Error).message));
      }
    };
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get busyMs() { return busyMs; },
    state,
    close: closeWithLifetime(server, options.lifetimeMs),
  };
}

function requestId(n: number): string {
  return createHash('md5').update(String(n)).digest('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
}

function parseFilters(params: Record<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(params)) {
    const m = /^Filter\.(\d+)\.Name$/.exec(k);
    if (!m) continue;
    const values = Object.entries(params).filter(([k2]) => k2.startsWith(`Filter.${m[1]}.Value.`)).map(([, v2]) => v2);
    if (values.length > 200) throw new Error(`The maximum number of filter values specified on a single call is 200`);
    out.set(v, values);
  }
  return out;
}

function tagsMatch(tags: Record<string, string>, filters: Map<string, string[]>): boolean {
  for (const [name, values] of filters) {
    if (!name.startsWith('tag:')) continue;
    if (!values.includes(tags[name.slice(4)])) return false;
  }
  return true;
}

function checkFilters(filters: Map<string, string[]>, allowed: string[]): void {
  for (const name of filters.keys()) {
    if (!name.startsWith('tag:') && !allowed.includes(name)) throw new Error(`The filter '${name}' is invalid`);
  }
}

function respond(state: Ec2State, action: string, filters: Map<string, string[]>, offset: number, size: number, rulesFilter?: (r: Ec2Rule) => boolean): string {
  const pageOf = <T>(items: T[]) => {
    const slice = items.slice(offset, offset + size);
    const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
    return { slice, next };
  };
  const wrap = (inner: string, next?: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId(offset)}</requestId>${inner}${next ? el('nextToken', next) : ''}</${action}Response>`;
  const groupIdList = filters.get('group-id');
  const groupIds = groupIdList ? new Set(groupIdList) : undefined;
  switch (action) {
    case 'DescribeSecurityGroups': {
      checkFilters(filters, ['group-id', 'vpc-id']);
      const groups = state.securityGroups.filter(g => tagsMatch(g.tags, filters) && (!groupIds || groupIds.has(g.groupId)));
      const { slice, next } = pageOf(groups);
      const byGroup = new Map<string, Ec2Rule[]>();
      const wanted = new Set(slice.map(g => g.groupId));
      for (const r of state.rules) {
        if (!wanted.has(r.groupId)) continue;
        const list = byGroup.get(r.groupId);
        if (list) list.push(r); else byGroup.set(r.groupId, [r]);
      }
      return wrap(nest('securityGroupInfo', slice.map(g => item(groupXml(g, byGroup.get(g.groupId) ?? []))).join('')), next);
    }
    case 'DescribeSecurityGroupRules': {
      checkFilters(filters, ['group-id', 'security-group-rule-id']);
      const rules = state.rules.filter(r => (!groupIds || groupIds.has(r.groupId)) && (!rulesFilter || rulesFilter(r)));
      const { slice, next } = pageOf(rules);
      return wrap(nest('securityGroupRuleSet', slice.map(r => item(ruleXml(r))).join('')), next);
    }
    case 'DescribeNetworkAcls': {
      checkFilters(filters, ['vpc-id', 'network-acl-id']);
      const acls = state.networkAcls.filter(a => tagsMatch(a.tags, filters));
      const { slice, next } = pageOf(acls);
      return wrap(nest('networkAclSet', slice.map(a => item(aclXml(a))).join('')), next);
    }
    case 'DescribeSubnets': {
      checkFilters(filters, ['vpc-id', 'subnet-id']);
      const { slice, next } = pageOf((state.subnets ?? []).filter(x => tagsMatch(x.tags, filters)));
      return wrap(nest('subnetSet', slice.map(x => item(el('subnetId', x.subnetId) + el('vpcId', x.vpcId) + el('cidrBlock', x.cidrBlock) + tagSet(x.tags))).join('')), next);
    }
    case 'DescribeNetworkInterfaces': {
      checkFilters(filters, ['group-id', 'vpc-id']);
      const enis = state.networkInterfaces.filter(e => !groupIds || e.groupIds.some(g => groupIds.has(g)));
      const { slice, next } = pageOf(enis);
      const names = new Map(state.securityGroups.map(g => [g.groupId, g.groupName]));
      return wrap(nest('networkInterfaceSet', slice.map(e => item(
        el('networkInterfaceId', e.networkInterfaceId) + el('status', 'in-use') +
        nest('groupSet', e.groupIds.map(g => item(el('groupId', g) + el('groupName', names.get(g) ?? g))).join('')),
      )).join('')), next);
    }
  }
  throw new Error(`unsupported action ${action}`);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${typeof value === 'string' ? esc(value) : value}</${name}>`;
}
function nest(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}
function item(inner: string): string {
  return `<item>${inner}</item>`;
}
function tagSet(tags: Record<string, string>): string {
  return nest('tagSet', Object.entries(tags).map(([k, v]) => item(el('key', k) + el('value', v))).join(''));
}

function groupXml(g: Ec2Group, rules: Ec2Rule[]): string {
  const perms = (egress: boolean) => rules.filter(r => r.isEgress === egress).map(r => item(
    el('ipProtocol', r.ipProtocol) + (r.ipProtocol === '-1' ? '' : el('fromPort', r.fromPort) + el('toPort', r.toPort)) +
    nest('groups', r.referencedGroupId ? item(el('userId', '111122223333') + el('groupId', r.referencedGroupId)) : '') +
    nest('ipRanges', r.cidrIpv4 ? item(el('cidrIp', r.cidrIpv4)) : '') +
    nest('ipv6Ranges', r.cidrIpv6 ? item(el('cidrIpv6', r.cidrIpv6)) : '') +
    nest('prefixListIds', r.prefixListId ? item(el('prefixListId', r.prefixListId)) : ''),
  )).join('');
  return el('ownerId', '111122223333') + el('groupId', g.groupId) + el('groupName', g.groupName) +
    el('groupDescription', g.description ?? g.groupName) + el('vpcId', g.vpcId) +
    nest('ipPermissions', perms(false)) + nest('ipPermissionsEgress', perms(true)) + tagSet(g.tags);
}

function ruleXml(r: Ec2Rule): string {
  return el('securityGroupRuleId', r.ruleId) + el('groupId', r.groupId) + el('groupOwnerId', '111122223333') +
    el('isEgress', r.isEgress) + el('ipProtocol', r.ipProtocol) + el('fromPort', r.fromPort) + el('toPort', r.toPort) +
    el('cidrIpv4', r.cidrIpv4) + el('cidrIpv6', r.cidrIpv6) + el('prefixListId', r.prefixListId) +
    (r.referencedGroupId ? nest('referencedGroupInfo', el('groupId', r.referencedGroupId) + el('userId', '111122223333')) : '') +
    el('description', r.description) + nest('tagSet', '');
}

function aclXml(a: Ec2Acl): string {
  return el('networkAclId', a.networkAclId) + el('vpcId', a.vpcId) + el('default', false) +
    nest('entrySet', a.entries.map(e => item(
      el('ruleNumber', e.ruleNumber) + el('protocol', e.protocol) + el('ruleAction', e.ruleAction) + el('egress', e.egress) +
      el('cidrBlock', e.cidrBlock) + el('ipv6CidrBlock', e.ipv6CidrBlock) +
      (e.icmp ? nest('icmpTypeCode', el('code', e.icmp.code) + el('type', e.icmp.type)) : '') +
      (e.portRange ? nest('portRange', el('from', e.portRange.from) + el('to', e.portRange.to)) : ''),
    )).join('')) + nest('associationSet', (a.associations ?? []).map(sub => item(
      el('networkAclAssociationId', fakeId('aclassoc', `${a.networkAclId}/${sub}`)) + el('networkAclId', a.networkAclId) + el('subnetId', sub),
    )).join('')) + tagSet(a.tags);
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId(0)}</RequestID></Response>`;
}

// ---- state built from canonical rules ---------------------------------------------------------

/** A deterministic fake id (`sg-…`, `sgr-…`, `acl-…`, `eni-…`). */
export function fakeId(prefix: string, seed: string): string {
  return `${prefix}-${createHash('sha1').update(seed).digest('hex').slice(0, 17)}`;
}

const PROTOCOL_NUMBER: Record<string, string> = { all: '-1', tcp: '6', udp: '17', icmp: '1', icmpv6: '58' };

/** Canonical ports -> EC2 from/to (ICMP: type/code, -1 for every). */
export function ec2PortsOf(protocol: string, ports: string): [number, number] {
  if (protocol === 'all') return [-1, -1];
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    if (ports === '*') return [-1, -1];
    const [t, c] = ports.split('/');
    return [Number(t), c === undefined ? -1 : Number(c)];
  }
  if (ports === '*') return [0, 65535];
  const [a, b] = ports.split('-').map(Number);
  return [a, b ?? a];
}

/**
 * The live EC2 state that a correct deployment of a manifest's AWS section would have: one SG
 * per `sg:` container (tagged like the backend tags it), its rules, one NACL per `nacl:` container
 * and one ENI per workload carrying its groups (`identities[w].securityGroups`, comma-separated
 * group names, or else the group named after the workload).
 */
export function ec2StateFromManifest(manifest: Manifest, vpcId = 'vpc-0a1b2c3d4e5f00001'): Ec2State {
  const seg = manifest.segmentation.name;
  const section = manifest.clouds.aws;
  if (!section) throw new Error('manifest has no aws section');
  const expected: CanonicalRule[] = section.expected;
  const workloads = new Map(manifest.model.workloads.map(w => [w.name, w]));
  const zones = new Set(manifest.model.zones.map(z => z.name));
  const sgNames = new Set<string>();
  const aclZones = new Set<string>();
  for (const c of [...Object.keys(section.containers ?? {}), ...expected.map(r => r.container)]) {
    if (c.startsWith('sg:')) sgNames.add(c.slice(3));
    if (c.startsWith('nacl:')) aclZones.add(c.slice(5));
  }
  const groupId = (name: string) => fakeId('sg', `${seg}/${name}`);
  // tags as the backend recorded them (`tag:<key>` fields of the container), else as the conventions say
  const recordedTags = (container: string) => Object.fromEntries(Object.entries(section.containers?.[container] ?? {})
    .filter(([k]) => k.startsWith('tag:')).map(([k, v]) => [k.slice(4), v]));
  const securityGroups: Ec2Group[] = [...sgNames].sort().map(name => {
    let tags: Record<string, string> = recordedTags(`sg:${name}`);
    if (!tags['microseg:group']) {
      tags = { 'microseg:segmentation': seg, 'microseg:group': name };
      const w = workloads.get(name);
      if (w) { tags['microseg:workload'] = name; tags['microseg:zone'] = w.zone; } else if (zones.has(name)) tags['microseg:zone'] = name;
    }
    return { groupId: groupId(name), groupName: `${seg}-${name}`, vpcId, tags };
  });
  const rules: Ec2Rule[] = [];
  const entries = new Map<string, Ec2AclEntry[]>();
  for (const r of expected) {
    const [from, to] = ec2PortsOf(r.protocol, r.ports);
    const ipProtocol = r.protocol === 'all' ? '-1' : r.protocol;
    if (r.container.startsWith('sg:')) {
      const gid = groupId(r.container.slice(3));
      const peer: Partial<Ec2Rule> = r.peer.startsWith('cidr:')
        ? (r.peer.includes(':', 5) ? { cidrIpv6: r.peer.slice(5) } : { cidrIpv4: r.peer.slice(5) })
        : r.peer.startsWith('sg:') ? { referencedGroupId: groupId(r.peer.slice(3)) }
          : r.peer.startsWith('sg-id:') ? { referencedGroupId: r.peer.slice(6) }
            : r.peer.startsWith('pl:') ? { prefixListId: r.peer.slice(3) } : {};
      const ruleId = fakeId('sgr', `${gid}|${r.direction}|${r.protocol}|${r.ports}|${r.peer}`);
      rules.push({ ruleId, groupId: gid, isEgress: r.direction === 'egress', ipProtocol, fromPort: from, toPort: to, ...peer, description: r.origin });
    } else if (r.container.startsWith('nacl:')) {
      const zone = r.container.slice(5);
      const cidr = r.peer.slice(5);
      const proto = PROTOCOL_NUMBER[r.protocol] ?? r.protocol;
      const e: Ec2AclEntry = {
        ruleNumber: r.priority ?? 100, protocol: proto, ruleAction: r.action, egress: r.direction === 'egress',
        ...(cidr.includes(':') ? { ipv6CidrBlock: cidr } : { cidrBlock: cidr }),
        ...(r.protocol === 'icmp' || r.protocol === 'icmpv6' ? { icmp: { type: from, code: to } } : {}),
        ...(r.protocol === 'tcp' || r.protocol === 'udp' ? { portRange: { from, to } } : {}),
      };
      const list = entries.get(zone);
      if (list) list.push(e); else entries.set(zone, [e]);
    }
  }
  // the zones' subnets as the manifest records them (concrete ids, or CloudFormation logical ids)
  const subnets: Ec2Subnet[] = [];
  const subnetsOf = (zone: string): string[] => {
    const fields = section.containers?.[`nacl:${zone}`] ?? {};
    const split = (v: unknown) => typeof v === 'string' ? v.split(',').filter(Boolean) : [];
    const ids = split(fields.subnetIds);
    const stacks = split(fields.subnetStackNames);
    split(fields.subnetLogicalIds).forEach((logicalId, i) => {
      const subnetId = fakeId('subnet', `${stacks[i] ?? section.settings.stackName}/${logicalId}`);
      subnets.push({ subnetId, vpcId, cidrBlock: '10.0.0.0/24', tags: { 'aws:cloudformation:stack-name': stacks[i] ?? section.settings.stackName, 'aws:cloudformation:logical-id': logicalId } });
      ids.push(subnetId);
    });
    return ids;
  };
  const networkAcls: Ec2Acl[] = [...aclZones].sort().map(zone => ({
    networkAclId: fakeId('acl', `${seg}/${zone}`), vpcId, associations: subnetsOf(zone),
    tags: { 'microseg:segmentation': seg, 'microseg:zone': zone, ...recordedTags(`nacl:${zone}`) },
    entries: [
      ...(entries.get(zone) ?? []),
      { ruleNumber: 32767, protocol: '-1', ruleAction: 'deny', egress: false, cidrBlock: '0.0.0.0/0' },
      { ruleNumber: 32767, protocol: '-1', ruleAction: 'deny', egress: true, cidrBlock: '0.0.0.0/0' },
    ],
  }));
  const networkInterfaces: Ec2Eni[] = [];
  for (const w of [...workloads.keys()].sort()) {
    const id = section.identities?.[w] ?? {};
    const own = id.securityGroups ? id.securityGroups.split(',').map(s => s.trim()).filter(Boolean)
      : id.securityGroupName ? [id.securityGroupName] : sgNames.has(w) ? [w] : [];
    // zone-level groups (no workload tag) are carried by every workload of their zone
    const zoneGroups = securityGroups.filter(g => !g.tags['microseg:workload'] && g.tags['microseg:zone'] === workloads.get(w)!.zone).map(g => g.tags['microseg:group']);
    const names = [...new Set([...own, ...zoneGroups])];
    if (names.length) networkInterfaces.push({ networkInterfaceId: fakeId('eni', `${seg}/${w}`), groupIds: names.map(groupId) });
  }
  return { securityGroups, rules, networkAcls, networkInterfaces, subnets };
}

/** The fewest pages the reader can need for a state (pages of 1000; group-id filters of 200 values). */
export function minimumEc2Pages(state: Ec2State): number {
  const pages = (n: number) => Math.max(1, Math.ceil(n / 1000));
  const ids = state.securityGroups.map(g => g.groupId).sort();
  let total = pages(state.securityGroups.length) + pages(state.networkAcls.length);
  // one DescribeSubnets call per stack whose subnets the manifest names by logical id
  const byStack = new Map<string, number>();
  for (const x of state.subnets ?? []) byStack.set(x.tags['aws:cloudformation:stack-name'], (byStack.get(x.tags['aws:cloudformation:stack-name']) ?? 0) + 1);
  for (const n of byStack.values()) total += pages(n);
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = new Set(ids.slice(i, i + 200));
    total += pages(state.rules.filter(r => chunk.has(r.groupId)).length);
    total += pages(state.networkInterfaces.filter(e => e.groupIds.some(g => chunk.has(g))).length);
  }
  return total;
}

const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

/** The state as `aws ec2 describe-*` prints it (JSON output), by command. */
export function awsCliOutputs(s: Ec2State): Record<string, unknown> {
  const perm = (r: Ec2State['rules'][number]) => ({
    IpProtocol: r.ipProtocol, ...(r.ipProtocol === '-1' ? {} : { FromPort: r.fromPort, ToPort: r.toPort }),
    IpRanges: r.cidrIpv4 ? [{ CidrIp: r.cidrIpv4 }] : [], Ipv6Ranges: r.cidrIpv6 ? [{ CidrIpv6: r.cidrIpv6 }] : [],
    PrefixListIds: r.prefixListId ? [{ PrefixListId: r.prefixListId }] : [], UserIdGroupPairs: r.referencedGroupId ? [{ GroupId: r.referencedGroupId }] : [],
  });
  return {
    'describe-security-groups': { SecurityGroups: s.securityGroups.map(g => ({
      GroupId: g.groupId, GroupName: g.groupName, VpcId: g.vpcId, Tags: tags(g.tags),
      IpPermissions: s.rules.filter(r => r.groupId === g.groupId && !r.isEgress).map(perm),
      IpPermissionsEgress: s.rules.filter(r => r.groupId === g.groupId && r.isEgress).map(perm),
    })) },
    'describe-network-acls': { NetworkAcls: s.networkAcls.map(a => ({
      NetworkAclId: a.networkAclId, VpcId: a.vpcId, Tags: tags(a.tags),
      Associations: (a.associations ?? []).map(SubnetId => ({ NetworkAclId: a.networkAclId, SubnetId })),
      Entries: a.entries.map(e => ({
        RuleNumber: e.ruleNumber, Protocol: e.protocol, RuleAction: e.ruleAction, Egress: e.egress, CidrBlock: e.cidrBlock, Ipv6CidrBlock: e.ipv6CidrBlock,
        ...(e.icmp ? { IcmpTypeCode: { Type: e.icmp.type, Code: e.icmp.code } } : {}), ...(e.portRange ? { PortRange: { From: e.portRange.from, To: e.portRange.to } } : {}),
      })),
    })) },
    'describe-network-interfaces': { NetworkInterfaces: s.networkInterfaces.map(e => ({ NetworkInterfaceId: e.networkInterfaceId, Groups: e.groupIds.map(GroupId => ({ GroupId })) })) },
    'describe-subnets': { Subnets: (s.subnets ?? []).map(x => ({ SubnetId: x.subnetId, VpcId: x.vpcId, Tags: tags(x.tags) })) },
  };
}
