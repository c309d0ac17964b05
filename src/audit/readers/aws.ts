/**
 * AWS reader: EC2 security groups, their rules, network ACLs and the network interfaces that
 * carry microseg groups, through `@aws-sdk/client-ec2` v3 (loaded on demand). Read-only: it only
 * sends Describe* calls. Pages of 1,000 (the API maximum), adaptive retry on throttling
 * (`RequestLimitExceeded`), the standard credential chain, and the SDK's own endpoint resolution
 * (`AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL`).
 */
import { CanonicalRule } from '../../ir/canonical';
import { LiveContainer, LiveState, UnmanagedAttachment } from '../findings';
import { loadSdk } from '../sdk';
import {
  AWS_TAGS, Ec2NetworkAcl, Ec2NetworkInterface, Ec2SecurityGroup, Ec2SecurityGroupRule, fromIpPermissions, fromNetworkAcl,
  fromSecurityGroupRule, groupContainer, unmanagedOnInterfaces,
} from './aws-convert';
import { normalizeRules } from '../normalize';
import { ReadProgress } from './progress';

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
}

/** EC2 allows at most 200 values in one filter. */
export const EC2_FILTER_VALUES = 200;
/** The largest page EC2 Describe* calls return. */
export const EC2_PAGE_SIZE = 1000;

/** Reads every region; never throws for API errors (they land in `errors`, making the view incomplete). */
export async function readAws(options: AwsReaderOptions): Promise<LiveState> {
  const sdk = loadSdk<any>('@aws-sdk/client-ec2', 'aws');
  const parts = await Promise.all(options.regions.map(region => readRegion(sdk, region, options)));
  return {
    cloud: 'aws',
    rules: parts.flatMap(p => p.rules),
    containers: parts.flatMap(p => p.containers),
    unmanaged: parts.flatMap(p => p.unmanaged),
    errors: parts.flatMap(p => p.errors),
    notes: parts.flatMap(p => p.notes),
    requests: parts.reduce((a, p) => a + p.requests, 0),
    pages: parts.reduce((a, p) => a + p.pages, 0),
    regions: options.regions.map((region, i) => ({ region, rules: parts[i].rules, unmanaged: parts[i].unmanaged })),
  };
}

async function readRegion(sdk: any, region: string, options: AwsReaderOptions): Promise<LiveState> {
  const client = new sdk.EC2Client({
    region,
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? 10,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.clientConfig ?? {}),
  });
  let requests = 0;
  let pages = 0;
  client.middlewareStack.add((next: any) => async (args: any) => { requests++; return next(args); }, { step: 'deserialize', name: 'microsegRequestCounter' });
  // The SDK's logger middleware filters every response for its no-op logger: costly on big pages.
  client.middlewareStack.remove('loggerMiddleware');
  const errors: string[] = [];
  const notes: string[] = [];
  const progress = options.progress;

  /** Runs one paginated Describe call; returns false when a page failed. */
  async function all<T>(operation: string, paginator: any, input: Record<string, unknown>, key: string, sink: T[]): Promise<boolean> {
    try {
      for await (const page of paginator({ client, pageSize: EC2_PAGE_SIZE }, input)) {
        pages++;
        const items = (page[key] ?? []) as T[];
        sink.push(...items);
        progress?.page('aws', `${region} ${operation}`, items.length);
      }
      return true;
    } catch (e) {
      errors.push(`aws ${region} ${operation}: ${describeError(e)}`);
      return false;
    }
  }

  const segFilter = [{ Name: `tag:${AWS_TAGS.segmentation}`, Values: [options.segmentation] }];
  const groups: Ec2SecurityGroup[] = [];
  const acls: Ec2NetworkAcl[] = [];
  // Groups and NACLs are independent; rules and interfaces need the group ids.
  const [groupsOk] = await Promise.all([
    all('DescribeSecurityGroups', sdk.paginateDescribeSecurityGroups, { Filters: segFilter }, 'SecurityGroups', groups),
    all('DescribeNetworkAcls', sdk.paginateDescribeNetworkAcls, { Filters: segFilter }, 'NetworkAcls', acls),
  ]);

  const names = new Map<string, string>();
  const containerOf = new Map<string, string>();
  const containers: LiveContainer[] = [];
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

  const ids = [...containerOf.keys()].sort();
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += EC2_FILTER_VALUES) chunks.push(ids.slice(i, i + EC2_FILTER_VALUES));
  const sgRules: Ec2SecurityGroupRule[] = [];
  const enis: Ec2NetworkInterface[] = [];
  if (groupsOk) {
    await runLimited([
      ...chunks.map(c => () => all('DescribeSecurityGroupRules', sdk.paginateDescribeSecurityGroupRules, { Filters: [{ Name: 'group-id', Values: c }] }, 'SecurityGroupRules', sgRules)),
      ...chunks.map(c => () => all('DescribeNetworkInterfaces', sdk.paginateDescribeNetworkInterfaces, { Filters: [{ Name: 'group-id', Values: c }] }, 'NetworkInterfaces', enis)),
    ], 4);
  }

  const rules: CanonicalRule[] = [];
  const byGroup = new Map<string, CanonicalRule[]>();
  for (const r of sgRules) {
    const container = containerOf.get(r.GroupId ?? '');
    if (!container) continue;
    const rule = fromSecurityGroupRule(r, container, names);
    rules.push(rule);
    const list = byGroup.get(r.GroupId!);
    if (list) list.push(rule); else byGroup.set(r.GroupId!, [rule]);
  }
  if (groupsOk && errors.length === 0) {
    // Fail closed on a partial read: every group's rules, as DescribeSecurityGroupRules listed
    // them, must be the rules DescribeSecurityGroups carried inline for it.
    const keys = (list: CanonicalRule[]) => normalizeRules(list).map(x => x.key).join('\n');
    const inconsistent = groups.filter(g => g.GroupId && keys(fromIpPermissions(g, names)) !== keys(byGroup.get(g.GroupId) ?? []));
    if (inconsistent.length) {
      errors.push(`aws ${region}: DescribeSecurityGroupRules and DescribeSecurityGroups disagree on ${inconsistent.length} group(s) (${inconsistent.slice(0, 5).map(g => g.GroupId).join(', ')}${inconsistent.length > 5 ? ', ...' : ''}): a page was incomplete or the rules changed during the audit; run it again.`);
    }
  }
  for (const a of acls) rules.push(...fromNetworkAcl(a));
  const seen = new Set<string>();
  const unmanaged: UnmanagedAttachment[] = [];
  for (const u of unmanagedOnInterfaces(dedupeEnis(enis, seen), names, region)) unmanaged.push(u);
  client.destroy?.();
  return { cloud: 'aws', rules, containers, unmanaged, errors, notes, requests, pages };
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
