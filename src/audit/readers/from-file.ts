/**
 * `--from-file`: saved outputs of the cloud CLIs instead of live calls.
 * - AWS: `aws ec2 describe-security-groups`, `describe-security-group-rules`, `describe-network-acls`,
 *   `describe-network-interfaces` (JSON output, one file each, any combination);
 * - Azure: `az network nsg show` (one NSG) or `az network nsg list` (an array), also raw ARM JSON;
 * - GCP: `gcloud compute firewall-rules list --format=json` (an array), also a REST list page.
 * JSON is read leniently (trailing commas, as in some published examples, are accepted).
 */
import * as fs from 'fs';
import { CanonicalRule, Cloud } from '../../ir/canonical';
import { LiveContainer, LiveState, UnmanagedAttachment } from '../findings';
import {
  AWS_TAGS, Ec2NetworkAcl, Ec2NetworkInterface, Ec2SecurityGroup, Ec2SecurityGroupRule, fromIpPermissions, fromNetworkAcl,
  fromSecurityGroupRule, groupContainer, isSegmentationGroup, tagValue, unmanagedOnInterfaces,
} from './aws-convert';
import { AzureNsg, fromNsg } from './azure-convert';
import { fromFirewall, GcpFirewall, networkName } from './gcp-convert';

/** What the saved files are compared against. */
export interface FromFileOptions {
  readonly cloud: Cloud;
  readonly segmentation: string;
  /** Azure: NSG names of the manifest. */
  readonly nsgNames?: ReadonlySet<string>;
  /** GCP: the network. */
  readonly network?: string;
}

/** Parses JSON, accepting trailing commas before `}` or `]` (outside strings). */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    let out = '';
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        out += c;
        if (c === '\\') { out += text[++i] ?? ''; continue; }
        if (c === '"') inString = false;
        continue;
      }
      if (c === '"') { inString = true; out += c; continue; }
      if (c === ',') {
        let j = i + 1;
        while (j < text.length && /\s/.test(text[j])) j++;
        if (text[j] === '}' || text[j] === ']') continue;
      }
      out += c;
    }
    try { return JSON.parse(out); } catch { throw first; }
  }
}

/** Reads saved CLI outputs; unreadable or unrecognised files land in `errors` (fail closed). */
export function readFromFiles(files: string[], options: FromFileOptions): LiveState {
  const errors: string[] = [];
  const notes: string[] = [];
  const docs: { file: string; doc: any }[] = [];
  for (const file of files) {
    try {
      docs.push({ file, doc: parseLenientJson(fs.readFileSync(file, 'utf8')) });
    } catch (e) {
      errors.push(`${file}: cannot be read as JSON: ${(e as Error).message}`);
    }
  }
  const empty = { rules: [] as CanonicalRule[], containers: [] as LiveContainer[], unmanaged: [] as UnmanagedAttachment[] };
  let part = empty;
  if (options.cloud === 'aws') part = fromAwsDocs(docs, options.segmentation, errors, notes);
  if (options.cloud === 'azure') part = fromAzureDocs(docs, options, errors, notes);
  if (options.cloud === 'gcp') part = fromGcpDocs(docs, options, errors, notes);
  return { cloud: options.cloud, ...part, errors, notes, requests: 0, pages: docs.length };
}

function fromAwsDocs(docs: { file: string; doc: any }[], seg: string, errors: string[], notes: string[]) {
  const groups: Ec2SecurityGroup[] = [];
  const sgRules: { file: string; rules: Ec2SecurityGroupRule[] }[] = [];
  const acls: Ec2NetworkAcl[] = [];
  const enis: Ec2NetworkInterface[] = [];
  for (const { file, doc } of docs) {
    if (Array.isArray(doc?.SecurityGroups)) groups.push(...doc.SecurityGroups);
    else if (Array.isArray(doc?.SecurityGroupRules)) sgRules.push({ file, rules: doc.SecurityGroupRules });
    else if (Array.isArray(doc?.NetworkAcls)) acls.push(...doc.NetworkAcls);
    else if (Array.isArray(doc?.NetworkInterfaces)) enis.push(...doc.NetworkInterfaces);
    else errors.push(`${file}: not an \`aws ec2 describe-security-groups\`, \`describe-security-group-rules\`, \`describe-network-acls\` or \`describe-network-interfaces\` JSON output (expected a top-level SecurityGroups, SecurityGroupRules, NetworkAcls or NetworkInterfaces list; --query projections cannot be audited).`);
  }
  const ours = groups.filter(g => isSegmentationGroup(g, seg));
  if (groups.length > ours.length) notes.push(`aws: ${groups.length - ours.length} security group(s) in the files do not carry microseg:segmentation=${seg} and were ignored.`);
  const names = new Map<string, string>();
  for (const g of ours) if (g.GroupId) names.set(g.GroupId, groupContainer(g).slice(3));
  const rules: CanonicalRule[] = [];
  for (const g of ours) rules.push(...fromIpPermissions(g, names));
  for (const { file, rules: list } of sgRules) {
    for (const r of list) {
      const name = names.get(r.GroupId ?? '');
      if (name) rules.push(fromSecurityGroupRule(r, `sg:${name}`, names));
    }
    if (groups.length === 0) errors.push(`${file}: security group rules need the \`aws ec2 describe-security-groups\` output too (to know which groups are the segmentation's).`);
  }
  const ourAcls = acls.filter(a => isSegmentationGroup(a, seg));
  if (acls.length > ourAcls.length) notes.push(`aws: ${acls.length - ourAcls.length} network ACL(s) in the files do not carry microseg:segmentation=${seg} and were ignored.`);
  for (const a of ourAcls) rules.push(...fromNetworkAcl(a));
  const containers: LiveContainer[] = [
    ...ours.map(g => ({ container: groupContainer(g), id: g.GroupId ?? '' })),
    ...ourAcls.map(a => ({ container: `nacl:${tagValue(a.Tags, AWS_TAGS.zone) ?? a.NetworkAclId}`, id: a.NetworkAclId ?? '' })),
  ];
  return { rules, containers, unmanaged: unmanagedOnInterfaces(enis, names) };
}

/** Extracts NSGs from `az` output, ARM JSON, a list response or an API-spec example. */
export function nsgsOf(doc: any): AzureNsg[] | undefined {
  if (Array.isArray(doc)) return doc.every(isNsg) ? doc : undefined;
  if (doc?.responses?.['200']?.body) return nsgsOf(doc.responses['200'].body);
  if (Array.isArray(doc?.value)) return nsgsOf(doc.value);
  return isNsg(doc) ? [doc] : undefined;
}

function isNsg(x: any): boolean {
  return !!x && typeof x === 'object' && (Array.isArray(x.securityRules) || Array.isArray(x.properties?.securityRules) || /networkSecurityGroups/i.test(String(x.type ?? '')));
}

function fromAzureDocs(docs: { file: string; doc: any }[], options: FromFileOptions, errors: string[], notes: string[]) {
  const rules: CanonicalRule[] = [];
  const containers: LiveContainer[] = [];
  for (const { file, doc } of docs) {
    const nsgs = nsgsOf(doc);
    if (!nsgs) { errors.push(`${file}: not an \`az network nsg show\` or \`az network nsg list\` JSON output.`); continue; }
    for (const n of nsgs) {
      const tagged = n.tags?.['microseg:segmentation'] === options.segmentation || n.tags?.['microseg-segmentation'] === options.segmentation;
      if (!tagged && !options.nsgNames?.has(n.name ?? '')) { notes.push(`azure: NSG ${n.name} in ${file} is not one of the segmentation's and was ignored.`); continue; }
      const r = fromNsg(n);
      rules.push(...r.rules);
      notes.push(...r.notes);
      containers.push({ container: `nsg:${n.name}`, id: n.id ?? '' });
    }
  }
  return { rules, containers, unmanaged: [] as UnmanagedAttachment[] };
}

function fromGcpDocs(docs: { file: string; doc: any }[], options: FromFileOptions, errors: string[], notes: string[]) {
  const rules: CanonicalRule[] = [];
  for (const { file, doc } of docs) {
    const list: GcpFirewall[] | undefined = Array.isArray(doc) ? doc : Array.isArray(doc?.items) ? doc.items : undefined;
    if (!list || !list.every(f => f && typeof f === 'object' && ('allowed' in f || 'denied' in f))) {
      errors.push(`${file}: not a \`gcloud compute firewall-rules list --format=json\` output.`);
      continue;
    }
    let other = 0;
    for (const fw of list) {
      if (options.network && networkName(fw) !== options.network) { other++; continue; }
      rules.push(...fromFirewall(fw));
    }
    if (other) notes.push(`gcp: ${other} firewall rule(s) in ${file} belong to other networks and were ignored.`);
  }
  const containers = options.network ? [{ container: `network:${options.network}`, id: options.network }] : [];
  return { rules, containers, unmanaged: [] as UnmanagedAttachment[] };
}
