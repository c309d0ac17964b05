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
import { DetachedContainer, LiveState } from '../findings';
import { AuditContainer, DriftAttachment } from '../types';
import {
  AWS_TAGS, Ec2NetworkAcl, Ec2NetworkInterface, Ec2SecurityGroup, Ec2SecurityGroupRule, Ec2Subnet, fromIpPermissions, fromNetworkAcl,
  fromSecurityGroupRule, groupContainer, isSegmentationGroup, tagValue, unmanagedOnInterfaces,
} from './aws-convert';
import { requireRegularFile } from '../files';
import { NaclSubnets, naclAssociations } from './aws';
import { AzureNsg, azureView } from './azure-convert';
import { fromFirewall, GcpFirewall, networkName } from './gcp-convert';

/** What the saved files are compared against. */
export interface FromFileOptions {
  readonly cloud: Cloud;
  readonly segmentation: string;
  /** Azure: NSG names of the manifest. */
  readonly nsgNames?: ReadonlySet<string>;
  /** Azure: ASG names of the manifest. */
  readonly asgNames?: ReadonlySet<string>;
  /** Azure: NSG name -> the subnet id it must be associated with. */
  readonly subnetOf?: Readonly<Record<string, string>>;
  /** GCP: the network. */
  readonly network?: string;
  /** AWS: zone -> the subnets of its NACL (from the manifest). */
  readonly naclSubnets?: Readonly<Record<string, NaclSubnets>>;
  /**
   * What the manifest declares, hence which outputs the audit needs (a saved view that does not
   * cover them is incomplete): AWS security groups (`sg:`) need the groups and the interfaces,
   * network ACLs (`nacl:`) the ACLs; Azure NSGs need the NSGs, ASGs the NICs; GCP the firewall rules.
   * @default - nothing required (tests of the parsers)
   */
  readonly declares?: { readonly groups?: boolean; readonly acls?: boolean; readonly nsgs?: boolean; readonly asgs?: boolean; readonly firewalls?: boolean };
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
      requireRegularFile(file, 'saved CLI outputs');
      docs.push({ file, doc: parseLenientJson(fs.readFileSync(file, 'utf8')) });
    } catch (e) {
      errors.push(`${file}: cannot be read as JSON: ${(e as Error).message}`);
    }
  }
  const empty = { rules: [] as CanonicalRule[], containers: [] as AuditContainer[], unmanaged: [] as DriftAttachment[], detached: [] as DetachedContainer[] };
  let part = empty;
  if (options.cloud === 'aws') part = fromAwsDocs(docs, options, errors, notes);
  if (options.cloud === 'azure') part = fromAzureDocs(docs, options, errors, notes);
  if (options.cloud === 'gcp') part = fromGcpDocs(docs, options, errors, notes);
  return { cloud: options.cloud, ...part, errors, notes, requests: 0, pages: docs.length };
}

/** The error for a saved view that lacks an output the audit needs. */
function missingOutput(command: string, why: string): string {
  return `--from-file: the saved view has no \`${command}\` output, so ${why} cannot be checked: a partial view cannot rule out drift. Add that output.`;
}

function fromAwsDocs(docs: { file: string; doc: any }[], options: FromFileOptions, errors: string[], notes: string[]) {
  const seg = options.segmentation;
  const groups: Ec2SecurityGroup[] = [];
  const sgRules: { file: string; rules: Ec2SecurityGroupRule[] }[] = [];
  const acls: Ec2NetworkAcl[] = [];
  const enis: Ec2NetworkInterface[] = [];
  const subnets: Ec2Subnet[] = [];
  const seen = { groups: false, acls: false, enis: false, subnets: false };
  for (const { file, doc } of docs) {
    if (Array.isArray(doc?.SecurityGroups)) { groups.push(...doc.SecurityGroups); seen.groups = true; }
    else if (Array.isArray(doc?.SecurityGroupRules)) sgRules.push({ file, rules: doc.SecurityGroupRules });
    else if (Array.isArray(doc?.NetworkAcls)) { acls.push(...doc.NetworkAcls); seen.acls = true; }
    else if (Array.isArray(doc?.NetworkInterfaces)) { enis.push(...doc.NetworkInterfaces); seen.enis = true; }
    else if (Array.isArray(doc?.Subnets)) { subnets.push(...doc.Subnets); seen.subnets = true; }
    else errors.push(`${file}: not an \`aws ec2 describe-security-groups\`, \`describe-security-group-rules\`, \`describe-network-acls\`, \`describe-network-interfaces\` or \`describe-subnets\` JSON output (expected a top-level SecurityGroups, SecurityGroupRules, NetworkAcls, NetworkInterfaces or Subnets list; --query projections cannot be audited).`);
  }
  const d = options.declares ?? {};
  if (d.groups && !seen.groups) errors.push(missingOutput(`aws ec2 describe-security-groups --filters Name=tag:microseg:segmentation,Values=${seg}`, 'the security groups'));
  if (d.groups && !seen.enis) errors.push(missingOutput('aws ec2 describe-network-interfaces', 'groups attached from outside the model (unmanaged)'));
  if (d.acls && !seen.acls) errors.push(missingOutput(`aws ec2 describe-network-acls --filters Name=tag:microseg:segmentation,Values=${seg}`, 'the network ACLs'));
  const logicalSubnets = Object.values(options.naclSubnets ?? {}).some(z => z.logical.length > 0);
  if (d.acls && seen.acls && logicalSubnets && !seen.subnets) errors.push(missingOutput('aws ec2 describe-subnets', 'the network ACL associations (the manifest knows the zone subnets by CloudFormation logical id)'));
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
  const containers: AuditContainer[] = [
    ...ours.map(g => ({ container: groupContainer(g), id: g.GroupId ?? '' })),
    ...ourAcls.map(a => ({ container: `nacl:${tagValue(a.Tags, AWS_TAGS.zone) ?? a.NetworkAclId}`, id: a.NetworkAclId ?? '' })),
  ];
  const detached = seen.acls && options.naclSubnets && (seen.subnets || !logicalSubnets)
    ? naclAssociations(ourAcls, subnets, options.naclSubnets, undefined, errors) : [];
  return { rules, containers, unmanaged: unmanagedOnInterfaces(enis, names), detached };
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

/** A NIC (`az network nic list/show`, SDK or ARM shape). */
function isNic(x: any): boolean {
  return !!x && typeof x === 'object' && (Array.isArray(x.ipConfigurations) || Array.isArray(x.properties?.ipConfigurations) || /networkInterfaces$/i.test(String(x.type ?? '')));
}

function isAsg(x: any): boolean {
  return !!x && typeof x === 'object' && /applicationSecurityGroups$/i.test(String(x.type ?? ''));
}

/** The items of a list output (`az ... list`, an ARM list page, an API-spec example), or one resource. */
function itemsOf(doc: any): any[] | undefined {
  if (Array.isArray(doc)) return doc;
  if (doc?.responses?.['200']?.body) return itemsOf(doc.responses['200'].body);
  if (Array.isArray(doc?.value)) return doc.value;
  return doc && typeof doc === 'object' ? [doc] : undefined;
}

function fromAzureDocs(docs: { file: string; doc: any }[], options: FromFileOptions, errors: string[], notes: string[]) {
  const nsgs: AzureNsg[] = [];
  const nics: any[] = [];
  const asgs: any[] = [];
  const seen = { nsgs: false, nics: false };
  for (const { file, doc } of docs) {
    const items = itemsOf(doc);
    if (items && items.length && items.every(isNsg)) { nsgs.push(...items); seen.nsgs = true; continue; }
    if (items && items.length && items.every(isNic)) { nics.push(...items); seen.nics = true; continue; }
    if (items && items.length && items.every(isAsg)) { asgs.push(...items); continue; }
    errors.push(`${file}: not an \`az network nsg list\` (or \`nsg show\`), \`az network nic list\` or \`az network asg list\` JSON output${items && items.length === 0 ? ' (an empty list does not say which)' : ''}.`);
  }
  const d = options.declares ?? {};
  if (d.nsgs && !seen.nsgs) errors.push(missingOutput('az network nsg list --resource-group <group>', 'the network security groups'));
  if (d.asgs && !seen.nics) errors.push(missingOutput('az network nic list --resource-group <group>', 'groups attached to segmented NICs from outside the model (unmanaged)'));
  const names = options.nsgNames ?? new Set<string>();
  for (const n of nsgs) {
    const tagged = n.tags?.['microseg:segmentation'] === options.segmentation || n.tags?.['microseg-segmentation'] === options.segmentation;
    if (!tagged && !names.has(n.name ?? '')) notes.push(`azure: NSG ${n.name} in the files is not one of the segmentation's and was ignored.`);
  }
  const view = azureView(nsgs, asgs, nics, { segmentation: options.segmentation, nsgNames: names, asgNames: options.asgNames ?? new Set(), subnetOf: options.subnetOf });
  notes.push(...view.notes);
  return { rules: view.rules, containers: view.containers, unmanaged: view.unmanaged, detached: seen.nsgs ? view.detached : [] };
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
  if (options.declares?.firewalls && !docs.some(({ doc }) => Array.isArray(doc) || Array.isArray(doc?.items))) {
    errors.push(missingOutput('gcloud compute firewall-rules list --format=json', 'the firewall rules'));
  }
  const containers = options.network ? [{ container: `network:${options.network}`, id: options.network }] : [];
  return { rules, containers, unmanaged: [] as DriftAttachment[], detached: [] as DetachedContainer[] };
}
