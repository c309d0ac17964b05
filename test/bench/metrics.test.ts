import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { analyzeAssembly, findCycle } from '../../bench/lib/aws-metrics';
import { analyzeTerraform } from '../../bench/lib/tf-metrics';

describe('bench output metrics', () => {
  it('counts rules per group across a nested stack, following parameters and outputs', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
    const app = new cdk.App({ outdir, builtinCloudFormationValidation: false, context: { 'aws:cdk:enable-asset-metadata': false } });
    const stack = new cdk.Stack(app, 'Parent');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', vpcCidrBlock: '10.0.0.0/16', availabilityZones: ['a'] });
    const a = new ec2.CfnSecurityGroup(stack, 'A', { groupDescription: 'a', vpcId: vpc.vpcId });
    const nested = new cdk.NestedStack(stack, 'Child');
    const b = new ec2.CfnSecurityGroup(nested, 'B', {
      groupDescription: 'b', vpcId: 'vpc-1',
      securityGroupIngress: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0' }, { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv6: '::/0' }],
    });
    // Ingress on B (nested) from A (parent): A's id arrives as a nested-stack parameter.
    new ec2.CfnSecurityGroupIngress(nested, 'BFromA', { groupId: b.attrGroupId, ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, sourceSecurityGroupId: a.attrGroupId });
    new ec2.CfnSecurityGroupIngress(nested, 'BFromA2', { groupId: b.attrGroupId, ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, sourceSecurityGroupId: a.attrGroupId });
    // Egress on A (parent) to B (nested): B's id comes back as a nested-stack output.
    new ec2.CfnSecurityGroupEgress(stack, 'AToB', { groupId: a.attrGroupId, ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, destinationSecurityGroupId: b.attrGroupId });
    app.synth();

    const m = analyzeAssembly(outdir);
    expect(m.stacks).toBe(2);
    expect(m.nestedStacks).toBe(1);
    expect(m.securityGroups).toBe(2);
    expect(m.unresolvedGroupRefs).toBe(0);
    expect(m.sgRules).toBe(5);
    // B: 1 IPv4 CIDR + 2 references (each counts for IPv4 and IPv6); 1 IPv6 CIDR + 2 references.
    expect(m.ingressIpv4PerSgMax.value).toBe(3);
    expect(m.ingressIpv6PerSgMax.value).toBe(3);
    expect(m.egressIpv4PerSgMax.value).toBe(1);
    expect(m.duplicateRules).toBe(1);
    expect(m.broken).toEqual(['duplicateRules']);
    expect(m.parametersPerStackMax.value).toBeGreaterThanOrEqual(1);
    expect(m.outputsPerStackMax.value).toBeGreaterThanOrEqual(1);
    expect(m.templatesWithCycles).toBe(0);
  });

  it('follows group ids packed into CommaDelimitedList parameters (Fn::Join outputs, Fn::Select)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'bench-list-'));
    const sg = (rules: object[] = []) => ({ Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'x', SecurityGroupIngress: rules } });
    writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ artifacts: { P: { type: 'aws:cloudformation:stack', properties: { templateFile: 'P.template.json' } } } }));
    writeFileSync(join(outdir, 'P.template.json'), JSON.stringify({
      Resources: {
        Src: { Type: 'AWS::CloudFormation::Stack', Metadata: { 'aws:asset:path': 'Src.nested.template.json' }, Properties: {} },
        Dst: { Type: 'AWS::CloudFormation::Stack', Metadata: { 'aws:asset:path': 'Dst.nested.template.json' }, Properties: { Parameters: { Ids: { 'Fn::GetAtt': ['Src', 'Outputs.GroupIds0'] } } } },
      },
    }));
    writeFileSync(join(outdir, 'Src.nested.template.json'), JSON.stringify({
      Resources: { S1: sg(), S2: sg() },
      Outputs: { GroupIds0: { Value: { 'Fn::Join': [',', [{ 'Fn::GetAtt': ['S1', 'GroupId'] }, { 'Fn::GetAtt': ['S2', 'GroupId'] }]] } } },
    }));
    const from = (i: number) => ({ IpProtocol: 'tcp', FromPort: 1, ToPort: 1, SourceSecurityGroupId: { 'Fn::Select': [i, { Ref: 'Ids' }] } });
    writeFileSync(join(outdir, 'Dst.nested.template.json'), JSON.stringify({
      Parameters: { Ids: { Type: 'CommaDelimitedList' } },
      Resources: { D: sg([from(0), from(1), from(1)]) },
    }));
    const m = analyzeAssembly(outdir);
    expect(m.stacks).toBe(3);
    expect(m.unresolvedGroupRefs).toBe(0);
    expect(m.ingressIpv4PerSgMax.value).toBe(3);
    // from(1) twice is the same peer (S2): one duplicate.
    expect(m.duplicateRules).toBe(1);
  });

  it('finds dependency cycles between resources', () => {
    expect(findCycle({ Resources: { A: { Properties: { X: { Ref: 'B' } } }, B: { DependsOn: 'C' }, C: { Properties: { Y: { 'Fn::GetAtt': ['A', 'GroupId'] } } } } })).toEqual(['A', 'B', 'C', 'A']);
    expect(findCycle({ Resources: { A: { Properties: { X: { Ref: 'B' } } }, B: { Properties: { Y: { 'Fn::Sub': '${C.GroupId}' } } }, C: {} } })).toBeUndefined();
  });

  it('judges Terraform JSON against Azure and GCP limits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-tf-'));
    const rules: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++) {
      rules[`r${i}`] = { name: `r${i}`, network_security_group_name: '${azurerm_network_security_group.n1.name}', direction: 'Inbound', access: 'Allow', priority: i === 2 ? 5000 : 100, source_application_security_group_ids: ['${azurerm_application_security_group.a.id}'] };
    }
    writeFileSync(join(dir, 'a.tf.json'), JSON.stringify({
      resource: {
        azurerm_network_security_group: { n1: { name: 'nsg-1', security_rule: [{ direction: 'Outbound', access: 'Deny', priority: 4096 }] } },
        azurerm_network_security_rule: rules,
        google_compute_firewall: {
          f1: { name: 'ok-name', direction: 'INGRESS', allow: [{ protocol: 'tcp' }], source_tags: ['a'], target_tags: ['b'] },
          f2: { name: 'Bad_Name', direction: 'EGRESS', deny: [{ protocol: 'all' }], priority: 65535 },
        },
      },
    }));
    const m = analyzeTerraform([join(dir, 'a.tf.json')]);
    expect(m.azure!.rules).toBe(4);
    expect(m.azure!.rulesPerNsgMax.value).toBe(4);
    expect(m.azure!.asgsPerNsgMax.value).toBe(1);
    expect(m.azure!.duplicatePriorities).toBe(2);
    expect(m.azure!.prioritiesOutOfRange).toBe(1);
    expect(m.gcp!.firewallRules).toBe(2);
    expect(m.gcp!.egress).toBe(1);
    expect(m.gcp!.deny).toBe(1);
    expect(m.gcp!.invalidNames).toBe(1);
    expect(m.broken).toEqual(['azure.prioritiesOutOfRange', 'azure.duplicatePriorities', 'gcp.invalidNames']);
    expect(m.withinLimits).toBe(false);
  });
});
