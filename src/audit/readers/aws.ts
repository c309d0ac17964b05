/**
 * AWS reader: EC2 security groups, their rules, network ACLs and the network interfaces that
 * carry microseg groups, through `@aws-sdk/client-ec2` v3 (loaded on demand). Read-only: it only
 * sends Describe* calls. Pages of 1,000 (the API maximum), adaptive retry on throttling
 * (`RequestLimitExceeded`), the standard credential chain, and the SDK's own endpoint resolution
 * (`AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL`).
 */
import { CanonicalRule } from '../../ir/canonical';
import { Readable } from 'stream';
import { DetachedContainer, LiveState } from '../findings';
import { AuditContainer, DriftAttachment } from '../types';
import { loadSdk } from '../sdk';
import {
  AWS_TAGS, Ec2NetworkAcl, Ec2NetworkInterface, Ec2SecurityGroup, Ec2SecurityGroupRule, Ec2Subnet, fromIpPermissions, fromNetworkAcl,
  fromSecurityGroupRule, groupContainer, tagValue, unmanagedOnInterfaces,
} from './aws-convert';
import { abortReason, anySignal, checkRetryAfter, DEFAULT_MAX_PAGES, PageGuard, ReadLimitError, ReadLimits, readLimits, whenAborted } from './limits';
import { normalizeRules } from '../normalize';
import { ReadProgress } from './progress';
import { Cloud } from '../../model/backend';

/** Where the manifest says a zone's network ACL is associated (subnet ids, or CloudFormation logical ids). */
export interface NaclSubnets {
  /** Concrete subnet ids. */
  readonly subnetIds: string[];
  /** Subnets known by CloudFormation logical id and stack name (found through the tags CloudFormation puts on them). */
  readonly logical: { readonly stackName: string; readonly logicalId: string }[];
}

/** Options of the AWS reader. */
export interface AwsReaderOptions {
  readonly segmentation: string;
  readonly regions: string[];
  /** Explicit endpoint (default: the SDK's resolution, which honours `AWS_ENDPOINT_URL_EC2`). */
  readonly endpoint?: string;
  /** Attempts per request including the first (default 10). */
  readonly maxAttempts?: number;
  /** Extra EC2Client configuration (tests: credentials). */
  readonly clientConfig?: Record<string, unknown>;
  readonly progress?: ReadProgress;
  /** Timeouts, Retry-After cap, page cap, deadline. */
  readonly limits?: ReadLimits;
  /** Zone -> the subnets its NACL must be associated with (from the manifest). */
  readonly naclSubnets?: Readonly<Record<string, NaclSubnets>>;
}

/** EC2 allows at most 200 values in one filter. */
export const EC2_FILTER_VALUES = 200;
/** The largest page EC2 Describe* calls return. */
export const EC2_PAGE_SIZE = 1000;

/** The CloudFormation tags on every resource a stack creates. */
const CFN_STACK_TAG = 'aws:cloudformation:stack-name';
const CFN_LOGICAL_TAG = 'aws:cloudformation:logical-id';

/** Reads every region; never throws for API errors (they land in `errors`, making the view incomplete). */
export async function readAws(options: AwsReaderOptions): Promise<LiveState> {
  const sdk = loadSdk<any>('@aws-sdk/client-ec2', 'aws');
  const parts = await Promise.all(options.regions.map(region => readRegion(sdk, region, options)));
  return {
    cloud: Cloud.AWS,
    rules: parts.flatMap(p => p.rules),
    containers: parts.flatMap(p => p.containers),
    unmanaged: parts.flatMap(p => p.unmanaged),
    detached: parts.flatMap(p => p.detached ?? []),
    errors: parts.flatMap(p => p.errors),
    notes: parts.flatMap(p => p.notes),
    requests: parts.reduce((a, p) => a + p.requests, 0),
    pages: parts.reduce((a, p) => a + p.pages, 0),
    regions: options.regions.map((region, i) => ({ region, rules: parts[i].rules, unmanaged: parts[i].unmanaged, detached: parts[i].detached ?? [] })),
  };
}

/**
 * Wraps the client's HTTP handler: each attempt gets the per-request timeout (the body is read
 * inside it, so a drip-fed body cannot stall the audit), and an error response asking to
 * `Retry-After` longer than the cap fails the call instead of sleeping.
 */
function boundHandler(inner: any, limits: ReadLimits): any {
  return {
    metadata: inner.metadata,
    destroy: () => inner.destroy?.(),
    updateHttpClientConfig: (k: string, v: unknown) => inner.updateHttpClientConfig?.(k, v),
    httpHandlerConfigs: () => inner.httpHandlerConfigs?.() ?? {},
    handle: async (request: any, opts: { abortSignal?: AbortSignal } = {}) => {
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), limits.requestTimeoutMs);
      const signal = anySignal(opts.abortSignal as AbortSignal | undefined, timeout.signal, limits.signal)!;
      const work = (async () => {
        const out = await inner.handle(request, { ...opts, abortSignal: signal });
        const res = out.response;
        if (res.statusCode >= 400) checkRetryAfter(res.headers?.['retry-after'], limits);
        const chunks: Buffer[] = [];
        if (res.body && typeof res.body[Symbol.asyncIterator] === 'function') {
          for await (const c of res.body) chunks.push(Buffer.from(c));
        }
        const body = Buffer.concat(chunks);
        // EC2 never declares a DTD; entity declarations are an attack on the parser (billion laughs)
        if (/<!(DOCTYPE|ENTITY)/i.test(body.subarray(0, 4096).toString('utf8'))) throw new ReadLimitError('MalformedResponse', 'the answer declares a DTD or entities, which EC2 never does');
        res.body = Readable.from([body]);
        return out;
      })();
      work.catch(() => undefined);
      try {
        return await Promise.race([work, whenAborted(signal).then(() => {
          throw new ReadLimitError(limits.signal?.aborted ? 'MicrosegDeadline' : 'MicrosegRequestTimeout', abortReason(limits, 'it'));
        })]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** One region's read in progress: its client, what it counted and what went wrong. */
interface RegionRead {
  readonly sdk: any;
  readonly client: any;
  readonly region: string;
  readonly options: AwsReaderOptions;
  readonly limits: ReadLimits;
  readonly errors: string[];
  readonly notes: string[];
  requests: number;
  pages: number;
}

/** The security groups of a region, indexed: their names and containers by group id. */
interface GroupIndex {
  readonly names: Map<string, string>;
  readonly containerOf: Map<string, string>;
  readonly containers: AuditContainer[];
}

async function readRegion(sdk: any, region: string, options: AwsReaderOptions): Promise<LiveState> {
  const read = openRegion(sdk, region, options);
  const { errors, notes } = read;
  const segFilter = [{ Name: `tag:${AWS_TAGS.segmentation}`, Values: [options.segmentation] }];
  const groups: Ec2SecurityGroup[] = [];
  const acls: Ec2NetworkAcl[] = [];
  const subnets: Ec2Subnet[] = [];
  const logical = Object.values(options.naclSubnets ?? {}).flatMap(z => z.logical);
  const stacks = [...new Set(logical.map(l => l.stackName))].sort();
  // Groups, NACLs and the zones' subnets are independent; rules and interfaces need the group ids.
  const [groupsOk] = await Promise.all([
    readPages(read, 'DescribeSecurityGroups', { Filters: segFilter }, 'SecurityGroups', groups),
    readPages(read, 'DescribeNetworkAcls', { Filters: segFilter }, 'NetworkAcls', acls),
    ...stacks.map(stack => readPages(read, 'DescribeSubnets', { Filters: [{ Name: `tag:${CFN_STACK_TAG}`, Values: [stack] }] }, 'Subnets', subnets)),
  ]);

  // The answers must be what was asked: every group and NACL carries the segmentation tag.
  const untagged = [...groups, ...acls].filter(x => tagValue(x.Tags, AWS_TAGS.segmentation) !== options.segmentation);
  if (untagged.length) errors.push(`aws ${region}: ${untagged.length} group(s) or network ACL(s) answered for the filter ${AWS_TAGS.segmentation}=${options.segmentation} do not carry it: the answers are not trustworthy.`);
  const index = indexGroups(groups, acls, region, notes);
  const { sgRules, enis } = groupsOk ? await readGroupDetails(read, index) : { sgRules: [], enis: [] };
  const { rules, byGroup } = rulesByGroup(sgRules, index);
  if (groupsOk && errors.length === 0) checkInlineRules(groups, byGroup, index, region, errors);
  for (const a of acls) rules.push(...fromNetworkAcl(a));
  const seen = new Set<string>();
  const unmanaged: DriftAttachment[] = [];
  for (const u of unmanagedOnInterfaces(dedupeEnis(enis, seen), index.names, region)) unmanaged.push(u);
  const detached = options.naclSubnets && errors.length === 0 ? naclAssociations(acls, subnets, options.naclSubnets, region, errors) : [];
  read.client.destroy?.();
  return { cloud: Cloud.AWS, rules, containers: index.containers, unmanaged, detached, errors, notes, requests: read.requests, pages: read.pages };
}

/** The region's client: bounded requests, counted, without the SDK's logger middleware. */
function openRegion(sdk: any, region: string, options: AwsReaderOptions): RegionRead {
  const limits = options.limits ?? readLimits({});
  const client = new sdk.EC2Client({
    region,
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 10,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.clientConfig ?? {}),
  });
  client.config.requestHandler = boundHandler(client.config.requestHandler, limits);
  const read: RegionRead = { sdk, client, region, options, limits, errors: [], notes: [], requests: 0, pages: 0 };
  client.middlewareStack.add((next: any) => async (args: any) => { read.requests++; return next(args); }, { step: 'deserialize', name: 'microsegRequestCounter' });
  // The SDK's logger middleware filters every response for its no-op logger: costly on big pages.
  client.middlewareStack.remove('loggerMiddleware');
  return read;
}

/**
 * Runs one paginated Describe call; returns false when a page failed. A page without its
 * result list (an HTML page, an empty body, another action's answer) is a failed read.
 */
async function readPages<T>(read: RegionRead, operation: string, input: Record<string, unknown>, key: string, sink: T[]): Promise<boolean> {
  const { limits, region } = read;
  const guard = new PageGuard(limits.maxPages ?? DEFAULT_MAX_PAGES.aws);
  let token: string | undefined;
  try {
    do {
      if (limits.signal?.aborted) throw new ReadLimitError('MicrosegDeadline', abortReason(limits, 'it'));
      const page = await read.client.send(new read.sdk[`${operation}Command`]({ ...input, MaxResults: EC2_PAGE_SIZE, ...(token ? { NextToken: token } : {}) }), { abortSignal: limits.signal });
      read.pages++;
      const items = page?.[key];
      if (!Array.isArray(items)) throw new ReadLimitError('MalformedResponse', `the answer has no ${key} list (not an EC2 ${operation} response)`);
      sink.push(...(items as T[]));
      read.options.progress?.page('aws', `${region} ${operation}`, items.length);
      token = page.NextToken || undefined;
      guard.page(token);
    } while (token);
    return true;
  } catch (e) {
    const aborted = limits.signal?.aborted && !(e instanceof ReadLimitError);
    read.errors.push(`aws ${region} ${operation}: ${aborted ? `MicrosegDeadline: ${abortReason(limits, 'it')}` : describeError(e)}`);
    return false;
  }
}

/** The groups' names and containers (a note when several groups carry one container), then the NACLs' containers. */
function indexGroups(groups: Ec2SecurityGroup[], acls: Ec2NetworkAcl[], region: string, notes: string[]): GroupIndex {
  const names = new Map<string, string>();
  const containerOf = new Map<string, string>();
  const containers: AuditContainer[] = [];
  const byContainer = new Map<string, string[]>();
  for (const g of groups) {
    if (!g.GroupId) continue;
    const container = groupContainer(g);
    names.set(g.GroupId, container.slice('sg:'.length));
    containerOf.set(g.GroupId, container);
    containers.push({ container, id: g.GroupId, region });
    const list = byContainer.get(container);
    if (list) list.push(g.GroupId); else byContainer.set(container, [g.GroupId]);
  }
  for (const [c, ids] of byContainer) if (ids.length > 1) notes.push(`aws ${region}: ${ids.length} groups carry ${c} (${ids.join(', ')}); their rules are read together.`);
  for (const a of acls) if (a.NetworkAclId) containers.push({ container: fromNetworkAclContainer(a), id: a.NetworkAclId, region });
  return { names, containerOf, containers };
}

/** The rules and network interfaces of the groups, by chunks of group ids (4 calls in flight). */
async function readGroupDetails(read: RegionRead, index: GroupIndex): Promise<{ sgRules: Ec2SecurityGroupRule[]; enis: Ec2NetworkInterface[] }> {
  const ids = [...index.containerOf.keys()].sort();
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += EC2_FILTER_VALUES) chunks.push(ids.slice(i, i + EC2_FILTER_VALUES));
  const sgRules: Ec2SecurityGroupRule[] = [];
  const enis: Ec2NetworkInterface[] = [];
  await runLimited([
    ...chunks.map(c => () => readPages(read, 'DescribeSecurityGroupRules', { Filters: [{ Name: 'group-id', Values: c }] }, 'SecurityGroupRules', sgRules)),
    ...chunks.map(c => () => readPages(read, 'DescribeNetworkInterfaces', { Filters: [{ Name: 'group-id', Values: c }] }, 'NetworkInterfaces', enis)),
  ], 4);
  return { sgRules, enis };
}

/** The canonical rules of the groups' rules, in the order read, and per group id. */
function rulesByGroup(sgRules: Ec2SecurityGroupRule[], index: GroupIndex): { rules: CanonicalRule[]; byGroup: Map<string, CanonicalRule[]> } {
  const rules: CanonicalRule[] = [];
  const byGroup = new Map<string, CanonicalRule[]>();
  for (const r of sgRules) {
    const container = index.containerOf.get(r.GroupId ?? '');
    if (!container) continue;
    const rule = fromSecurityGroupRule(r, container, index.names);
    rules.push(rule);
    const list = byGroup.get(r.GroupId!);
    if (list) list.push(rule); else byGroup.set(r.GroupId!, [rule]);
  }
  return { rules, byGroup };
}

/**
 * Fails closed on a partial read: every group's rules, as DescribeSecurityGroupRules listed
 * them, must be the rules DescribeSecurityGroups carried inline for it.
 */
function checkInlineRules(groups: Ec2SecurityGroup[], byGroup: Map<string, CanonicalRule[]>, index: GroupIndex, region: string, errors: string[]): void {
  const keys = (list: CanonicalRule[]) => normalizeRules(list).map(x => x.key).join('\n');
  const inconsistent = groups.filter(g => g.GroupId && keys(fromIpPermissions(g, index.names)) !== keys(byGroup.get(g.GroupId) ?? []));
  if (inconsistent.length) {
    errors.push(`aws ${region}: DescribeSecurityGroupRules and DescribeSecurityGroups disagree on ${inconsistent.length} group(s) (${inconsistent.slice(0, 5).map(g => g.GroupId).join(', ')}${inconsistent.length > 5 ? ', ...' : ''}): a page was incomplete or the rules changed during the audit; run it again.`);
  }
}

/**
 * Compares the live associations of the segmentation's NACLs with the manifest's subnets: a zone
 * subnet not associated with its NACL is a missing association, a subnet associated with a
 * microseg NACL that the manifest does not list is an unexpected one. A subnet of the manifest
 * that cannot be found live makes the view incomplete.
 */
export function naclAssociations(acls: Ec2NetworkAcl[], subnets: Ec2Subnet[], expected: Readonly<Record<string, NaclSubnets>>, region: string | undefined, errors: string[]): DetachedContainer[] {
  const out: DetachedContainer[] = [];
  const byLogical = new Map<string, string>();
  for (const s of subnets) {
    const stack = tagValue(s.Tags, CFN_STACK_TAG);
    const id = tagValue(s.Tags, CFN_LOGICAL_TAG);
    if (stack && id && s.SubnetId) byLogical.set(`${stack}/${id}`, s.SubnetId);
  }
  const aclOfZone = new Map<string, Ec2NetworkAcl>();
  for (const a of acls) aclOfZone.set(tagValue(a.Tags, AWS_TAGS.zone) ?? a.NetworkAclId ?? '', a);
  const expectedSubnets = new Map<string, string>(); // subnet -> zone
  for (const [zone, want] of Object.entries(expected).sort()) {
    const ids = [...want.subnetIds];
    for (const l of want.logical) {
      const id = byLogical.get(`${l.stackName}/${l.logicalId}`);
      if (id) ids.push(id);
      else errors.push(`aws${region ? ` ${region}` : ''} DescribeSubnets: subnet ${l.logicalId} of stack ${l.stackName} (zone ${zone}) was not found by its CloudFormation tags: its network ACL association cannot be checked.`);
    }
    for (const id of ids) expectedSubnets.set(id, zone);
    const acl = aclOfZone.get(zone);
    if (!acl) continue; // the NACL itself is gone: its rules are reported missing
    const live = new Set((acl.Associations ?? []).map(a => a.SubnetId ?? ''));
    for (const id of [...new Set(ids)].sort()) {
      if (!live.has(id)) out.push({ container: `nacl:${zone}`, attachedTo: `subnet ${id}`, ...(region ? { region } : {}) });
    }
  }
  for (const [zone, acl] of [...aclOfZone.entries()].sort()) {
    if (!(zone in expected)) continue;
    for (const a of (acl.Associations ?? []).slice().sort((x, y) => String(x.SubnetId).localeCompare(String(y.SubnetId)))) {
      if (a.SubnetId && expectedSubnets.get(a.SubnetId) !== zone) {
        out.push({ container: `nacl:${zone}`, attachedTo: `subnet ${a.SubnetId}`, unexpected: true, ...(region ? { region } : {}) });
      }
    }
  }
  return out;
}

function fromNetworkAclContainer(a: Ec2NetworkAcl): string {
  return `nacl:${(a.Tags ?? []).find(t => t.Key === AWS_TAGS.zone)?.Value ?? a.NetworkAclId}`;
}

function dedupeEnis(enis: Ec2NetworkInterface[], seen: Set<string>): Ec2NetworkInterface[] {
  return enis.filter(e => {
    const id = e.NetworkInterfaceId ?? '';
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Runs tasks with at most `limit` in flight. */
export async function runLimited(tasks: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const t = tasks[next++];
      await t();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** A short, single-line description of an SDK error (code, status, message). */
export function describeError(e: unknown): string {
  const err = e as { name?: string; Code?: string; code?: string; message?: string; statusCode?: number; $metadata?: { httpStatusCode?: number } };
  const code = err.Code ?? err.code ?? err.name ?? 'Error';
  const status = err.$metadata?.httpStatusCode ?? err.statusCode;
  return `${code}${status ? ` (HTTP ${status})` : ''}: ${String(err.message ?? e).split('\n')[0]}`;
}
