/** Accepted drift: `.microsegignore` (line and JSON formats), `--accept`, expiry. */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { computeDrift } from '../../src/audit/drift';
import { DriftFinding } from '../../src/audit/types';
import { applyAcceptances, parseIgnoreFile, selectorMatches } from '../../src/audit/ignore';
import { runAudit } from '../../src/audit/run';
import { CanonicalRule, Cloud, RuleAction, RuleDirection } from '../../src/ir/canonical';
import { tmpDir, writeManifestFile } from './helpers';
import { shopManifest } from './fixtures';

const ssh: CanonicalRule = { container: 'sg:db', direction: RuleDirection.INGRESS, action: RuleAction.ALLOW, protocol: 'tcp', ports: '22', peer: 'cidr:203.0.113.0/24' };
const finding = (): DriftFinding => computeDrift([], [ssh], [], { cloud: Cloud.AWS })[0];

describe('ignore file', () => {
  it('parses the line format with comments, and JSON', () => {
    const f = finding();
    const lines = parseIgnoreFile(`# accepted drift\n\n${f.fingerprint} ; 2026-12-31 ; break-glass SSH, INC #1234\nunexpected sg:db|ingress|* ; 2027-01-31 ; ops; reviewed\n`, '.microsegignore');
    expect(lines).toEqual([
      { selector: f.fingerprint, expires: '2026-12-31', reason: 'break-glass SSH, INC #1234', source: '.microsegignore:3' },
      { selector: 'unexpected sg:db|ingress|*', expires: '2027-01-31', reason: 'ops; reviewed', source: '.microsegignore:4' },
    ]);
    const json = parseIgnoreFile(JSON.stringify({ accept: [{ finding: f.fingerprint.slice(0, 8), expires: '2026-12-31', reason: 'r' }] }), 'x.json');
    expect(json[0]).toMatchObject({ selector: f.fingerprint.slice(0, 8), source: 'x.json#accept[0]' });
  });

  it('rejects entries without a reason or an expiry date, listing every bad line', () => {
    expect(() => parseIgnoreFile('abcdef0123456789 ; 2026-12-31 ;\n', 'f')).toThrow(/microseg:InvalidProp/);
    expect(() => parseIgnoreFile('abcdef0123456789 ; next year ; why\n', 'f')).toThrow(/microseg:InvalidDate/);
    expect(() => parseIgnoreFile('a ; 2026-13-45 ; r\nb ; 2026-01-01\n', 'f')).toThrow(/2 problems[\s\S]*f:1[\s\S]*f:2/);
    expect(() => parseIgnoreFile('{ "accept": [ { "finding": "x" } ] }', 'f')).toThrow(/microseg:InvalidProp/);
  });

  it('matches by fingerprint, fingerprint prefix or key pattern', () => {
    const f = finding();
    expect(selectorMatches(f.fingerprint, f)).toBe(true);
    expect(selectorMatches(f.fingerprint.slice(0, 8), f)).toBe(true);
    expect(selectorMatches('unexpected sg:db|ingress|allow|tcp|22|*', f)).toBe(true);
    expect(selectorMatches('unexpected sg:web|*', f)).toBe(false);
    expect(selectorMatches('missing *', f)).toBe(false);
  });

  it('stops applying after the expiry day and reports expired and unused acceptances', () => {
    const f = finding();
    const acc = [
      { selector: f.fingerprint, expires: '2026-11-30', reason: 'temporary', source: 'a' },
      { selector: 'missing *', expires: '2026-12-31', reason: 'unused', source: 'b' },
    ];
    const during = applyAcceptances([f], acc, new Date('2026-11-30T23:00:00Z'));
    expect(during.findings).toEqual([]);
    expect(during.accepted[0]).toMatchObject({ reason: 'temporary', expires: '2026-11-30' });
    expect(during.unused.map(a => a.source)).toEqual(['b']);
    const after = applyAcceptances([f], acc, new Date('2026-12-01T00:00:01Z'));
    expect(after.findings).toEqual([f]);
    expect(after.expired.map(a => a.source)).toEqual(['a']);
  });

  it('an audit with accepted drift exits 0; once expired it exits 1 and says so', async () => {
    const m = shopManifest();
    const file = writeManifestFile(m);
    const dir = tmpDir();
    // saved describe-security-groups output: the faithful groups plus one SSH rule on db
    const groups = ['api', 'db', 'frontend'].map(name => ({
      GroupId: `sg-${name}`, GroupName: name, Tags: [{ Key: 'microseg:segmentation', Value: 'shop' }, { Key: 'microseg:group', Value: name }],
      IpPermissions: [] as any[], IpPermissionsEgress: [] as any[],
    }));
    for (const r of m.clouds.aws!.expected.filter(x => x.container.startsWith('sg:'))) {
      const g = groups.find(x => `sg:${x.GroupName}` === r.container)!;
      const [from, to] = r.protocol === 'icmp' ? r.ports.split('/').map(Number) : r.ports.split('-').map(Number);
      const perm = { IpProtocol: r.protocol, FromPort: from, ToPort: to ?? from, ...(r.peer.startsWith('sg:') ? { UserIdGroupPairs: [{ GroupId: `sg-${r.peer.slice(3)}` }] } : { IpRanges: [{ CidrIp: r.peer.slice(5) }] }) };
      (r.direction === 'ingress' ? g.IpPermissions : g.IpPermissionsEgress).push(perm);
    }
    groups[1].IpPermissions.push({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24', Description: 'break-glass' }] });
    const acls = { NetworkAcls: [{ NetworkAclId: 'acl-1', Tags: [{ Key: 'microseg:segmentation', Value: 'shop' }, { Key: 'microseg:zone', Value: 'data' }], Entries: m.clouds.aws!.expected.filter(r => r.container === 'nacl:data').map(r => ({ RuleNumber: r.priority, Protocol: '6', RuleAction: 'allow', Egress: r.direction === 'egress', CidrBlock: r.peer.slice(5), PortRange: { From: Number(r.ports.split('-')[0]), To: Number(r.ports.split('-')[1] ?? r.ports) } })) }] };
    fs.writeFileSync(path.join(dir, 'sgs.json'), JSON.stringify({ SecurityGroups: groups }));
    fs.writeFileSync(path.join(dir, 'acls.json'), JSON.stringify(acls));
    fs.writeFileSync(path.join(dir, 'enis.json'), JSON.stringify({ NetworkInterfaces: [] }));
    const fromFiles = [path.join(dir, 'sgs.json'), path.join(dir, 'acls.json'), path.join(dir, 'enis.json')];
    const plain = await runAudit({ manifestFile: file, cloud: Cloud.AWS, fromFiles });
    expect(plain.findings.map(f => [f.kind, f.severity, f.container])).toEqual([['unexpected', 'medium', 'sg:db']]);
    const ignore = path.join(dir, '.microsegignore');
    fs.writeFileSync(ignore, `${plain.findings[0].fingerprint} ; 2026-12-31 ; break-glass SSH from the office, INC-1234\n`);
    const accepted = await runAudit({ manifestFile: file, cloud: Cloud.AWS, fromFiles, ignoreFile: ignore, now: new Date('2026-12-01T00:00:00Z') });
    expect(accepted.exitCode).toBe(0);
    expect(accepted.accepted).toHaveLength(1);
    const expired = await runAudit({ manifestFile: file, cloud: Cloud.AWS, fromFiles, ignoreFile: ignore, now: new Date('2027-01-01T00:00:00Z') });
    expect(expired.exitCode).toBe(1);
    expect(expired.expiredAcceptances).toHaveLength(1);
    const flag = await runAudit({ manifestFile: file, cloud: Cloud.AWS, fromFiles, accept: ['unexpected sg:db|* ; 2026-12-31 ; accepted on the command line'], now: new Date('2026-12-01T00:00:00Z') });
    expect(flag.exitCode).toBe(0);
  });
});
