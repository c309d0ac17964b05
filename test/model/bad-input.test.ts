/**
 * Bad and hostile input to the construct API, as a JavaScript user can pass it: each is refused
 * with a stable code, the construct path, the value and a hint, before anything is rendered, and
 * all problems come together. None of these may crash without a code or be accepted in silence.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { App as TfApp, TerraformStack } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { AllowFlow, DenyFlow, EnforcementMode, Port, Segmentation, Selector } from '../../src';
import { AwsSegmentation } from '../../src/aws';
import { AzureSegmentation, AzureTerraform } from '../../src/azure';
import { GcpSegmentation, GcpTerraform } from '../../src/gcp';
import { compile } from '../../src/ir';
import { MicrosegError } from '../../src/model/errors';

process.env.CDK_VALIDATION = 'false';

function base(id = 'Shop') {
  const seg = Segmentation.root(id);
  const web = seg.addZone('Web', { cidrs: ['10.0.1.0/24'] });
  const db = seg.addZone('Db', { cidrs: ['10.0.2.0/24'] });
  const front = web.addWorkload('Front', { labels: { app: 'front' } });
  const pg = db.addWorkload('Pg', { labels: { app: 'pg' } });
  return { seg, web, db, front, pg };
}

/** The MicrosegError `fn` throws (fails when it throws nothing or something else). */
function refused(fn: () => unknown): MicrosegError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof MicrosegError)) throw new Error(`expected a MicrosegError, got: ${(e as Error)?.stack ?? e}`);
    return e;
  }
  throw new Error('expected a MicrosegError, nothing was thrown');
}

const codes = (e: MicrosegError) => e.problems.map(p => `${p.code} ${p.path}`);
const any = (x: unknown) => x as any;

describe('names', () => {
  it('a name ending with "-" is refused for zones, workloads and segmentations', () => {
    const seg = Segmentation.root('Shop', { name: 'shop-' });
    seg.addZone('Web', { name: 'web-' }).addWorkload('Api', { name: 'api-' });
    const err = refused(() => compile(seg));
    expect(codes(err)).toEqual(['InvalidName Shop', 'InvalidName Shop/Web', 'InvalidName Shop/Web/Api']);
    expect(err.problems[1].hint).toBe('Did you mean "web"?');
    expect(err.message).toMatch(/end with a letter or digit/);
  });

  it('hyphens inside a name stay valid', () => {
    const seg = Segmentation.root('Shop');
    const a = seg.addZone('Web', { name: 'web-tier-1' }).addWorkload('Api', { name: 'api-v2' });
    seg.addZone('Db').addWorkload('Pg').allowFrom(a, Port.tcp(5432));
    expect(compile(seg).zones.map(z => z.name)).toEqual(['db', 'web-tier-1']);
  });
});

describe('selectors', () => {
  it('a label with an undefined value is refused (it would select the workloads WITHOUT the label)', () => {
    const { seg, pg } = base();
    pg.allowFrom(Selector.labels({ app: any(undefined) }), Port.tcp(5432));
    const err = refused(() => compile(seg));
    expect(err.code).toBe('InvalidLabel');
    expect(err.path).toBe('Shop/Db/Pg/From-selector:app=undefined-tcp:5432');
    expect(err.message).toMatch(/no string value for "app": it would select the workloads WITHOUT that label/);
  });

  it('an empty selector is refused (it would select every workload, the destination included)', () => {
    const { seg, pg } = base();
    pg.allowFrom(Selector.labels({}), Port.tcp(5432));
    const err = refused(() => compile(seg));
    expect(err.code).toBe('InvalidLabel');
    expect(err.message).toMatch(/has no labels, so it would select every workload/);
  });
});

describe('enum values from JavaScript', () => {
  it('a mode that is not an EnforcementMode member is refused, with the member it resembles', () => {
    const seg = Segmentation.root('Shop', { mode: any('monitor') });
    seg.addZone('Web', { mode: any('AUDIT') }).addWorkload('Api');
    const err = refused(() => compile(seg));
    expect(codes(err)).toEqual(['InvalidProp Shop', 'InvalidProp Shop/Web']);
    expect(err.problems[0].hint).toBe('Did you mean EnforcementMode.MONITOR?');
    expect(err.problems[1].value).toBe('AUDIT');
  });

  it('an AWS sharding that is not an AwsSharding member is refused (it would render AUTO)', () => {
    const stack = new Stack(new App(), 'S');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['us-east-1a'], vpcCidrBlock: '10.0.0.0/8' });
    const err = refused(() => new AwsSegmentation(stack, 'Aws', { segmentation: base().seg, vpc, sharding: any('none') }));
    expect(err.message).toMatch(/InvalidProp\] at S\/Aws: "none": sharding must be one of AwsSharding\.AUTO, AwsSharding\.NONE, AwsSharding\.ALWAYS\. Did you mean AwsSharding\.NONE\?/);
  });

  it('the members themselves pass', () => {
    const seg = Segmentation.root('Shop', { mode: EnforcementMode.MONITOR });
    seg.addZone('Web', { mode: EnforcementMode.ENFORCE }).addWorkload('Api');
    expect(compile(seg).zones[0].mode).toBe('ENFORCE');
  });
});

describe('ports', () => {
  it('Port.icmp(-1) and Port.icmp(8, -1) are refused, not widened to every type or code', () => {
    const { seg, front, pg } = base();
    pg.allowFrom(front, Port.icmp(-1));
    pg.allowFrom(front, Port.icmp(8, -1));
    const err = refused(() => compile(seg));
    expect(err.problems.map(p => [p.code, p.value])).toEqual([['InvalidIcmp', 'icmp(-1)'], ['InvalidIcmp', 'icmp(8, -1)']]);
    expect(err.message).toMatch(/Omit them to allow every type or every code: Port.icmp\(\)/);
  });

  it('Port.icmp() and Port.icmp(8) still mean every type and every code of type 8', () => {
    const { seg, front, pg } = base();
    pg.allowFrom(front, Port.icmp(), Port.icmp(8));
    expect(compile(seg).rules.map(r => `${r.service.protocol}:${r.service.from}/${r.service.to}`)).toEqual(['icmp:-1/-1']);
  });

  it('a hand-made port object is refused even when its fields look right', () => {
    const { seg, front, pg } = base();
    new AllowFlow(pg, 'Ssh', { from: front, to: pg, ports: [any({ protocol: 'all', fromPort: 22 }), any({ protocol: 'tcp', fromPort: 22, toPort: 22, key: 'tcp:22' })] });
    const err = refused(() => compile(seg));
    expect(codes(err)).toEqual(['InvalidPort Shop/Db/Pg/Ssh', 'InvalidPort Shop/Db/Pg/Ssh']);
    expect(err.problems[0].value).toEqual({ protocol: 'all', fromPort: 22 });
    expect(err.message).toMatch(/is not a Port made by microseg/);
  });

  it('ports that are not a list are refused', () => {
    const { seg, front, pg } = base();
    new AllowFlow(pg, 'One', { from: front, to: pg, ports: any(Port.tcp(22)) });
    expect(refused(() => compile(seg)).message).toMatch(/InvalidPort\] at Shop\/Db\/Pg\/One: "tcp:22": `ports` is a list of Ports/);
  });
});

describe('crashes become codes', () => {
  it('zone cidrs holding a number, or one string instead of a list', () => {
    const seg = Segmentation.root('Shop');
    seg.addZone('Web', { cidrs: [any(10)] }).addWorkload('A');
    seg.addZone('Db', { cidrs: any('10.0.2.0/24') }).addWorkload('B');
    const err = refused(() => compile(seg));
    expect(codes(err)).toEqual(['InvalidCidr Shop/Db', 'InvalidCidr Shop/Web']);
    expect(err.problems[0].hint).toBe('Did you mean cidrs: ["10.0.2.0/24"]?');
    expect(err.problems[1].message).toBe('is not a CIDR string.');
  });

  it('`from: undefined` names the missing prop', () => {
    const { seg, pg } = base();
    new AllowFlow(pg, 'Half', { from: any(undefined), to: pg, ports: [Port.tcp(1)] });
    const err = refused(() => compile(seg));
    expect(err.message).toBe('[microseg:InvalidProp] at Shop/Db/Pg/Half: "from": the source (`from`) is missing. Pass `from:` a Workload, Zone, Selector or Peer.');
  });

  it('AllowFlow and DenyFlow with no props report every missing prop at once', () => {
    const { seg, pg } = base();
    new AllowFlow(pg, 'Nothing', any(undefined));
    new DenyFlow(seg, 'NoGuard', any(undefined));
    const err = refused(() => compile(seg));
    expect(codes(err)).toEqual([
      'EmptyPorts Shop/Db/Pg/Nothing', 'InvalidProp Shop/Db/Pg/Nothing', 'InvalidProp Shop/Db/Pg/Nothing',
      'InvalidProp Shop/NoGuard', 'InvalidProp Shop/NoGuard',
    ]);
    expect(err.message).toMatch(/^5 problems, nothing was rendered:\n/);
  });

  it('allowFrom(undefined) is coded, not a TypeError', () => {
    const { seg, pg } = base();
    pg.allowFrom(any(undefined), Port.tcp(1));
    expect(refused(() => compile(seg)).code).toBe('InvalidProp');
  });

  it('AWS: segmentation and vpc undefined are both reported', () => {
    const stack = new Stack(new App(), 'S');
    const err = refused(() => new AwsSegmentation(stack, 'Aws', any({})));
    expect(err.problems.map(p => `${p.code} ${p.value}`)).toEqual(['InvalidProp segmentation', 'InvalidProp vpc']);
    expect(refused(() => new AwsSegmentation(stack, 'Aws2', any(undefined))).problems).toHaveLength(2);
  });
});

describe('one backend per cloud and segmentation in an app', () => {
  const vpcOf = (stack: Stack) => ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['us-east-1a'], vpcCidrBlock: '10.0.0.0/8' });

  it('a second AwsSegmentation for the same segmentation is refused with DuplicateBackend', () => {
    const app = new App();
    const a = new Stack(app, 'A');
    const b = new Stack(app, 'B');
    const { seg } = base();
    new AwsSegmentation(a, 'Aws', { segmentation: seg, vpc: vpcOf(a) });
    const err = refused(() => new AwsSegmentation(b, 'Aws', { segmentation: seg, vpc: vpcOf(b) }));
    expect(err.message).toMatch(/^\[microseg:DuplicateBackend\] at B\/Aws: "aws": segmentation "shop" is already rendered for aws by A\/Aws in this app/);
  });

  it('a second GcpSegmentation or AzureSegmentation in one CDKTF app is refused; other clouds and other apps are fine', () => {
    const { seg } = base();
    const app = new TfApp({ outdir: require('os').tmpdir() });
    const s1 = new TerraformStack(app, 'one');
    const s2 = new TerraformStack(app, 'two');
    new GcpSegmentation(s1, 'Gcp', { segmentation: seg, network: 'vpc' });
    new AzureSegmentation(s1, 'Azure', { segmentation: seg, resourceGroupName: 'rg', location: 'westeurope' });
    expect(refused(() => new GcpSegmentation(s2, 'Gcp', { segmentation: seg, network: 'vpc' })).code).toBe('DuplicateBackend');
    expect(refused(() => new AzureSegmentation(s2, 'Azure', { segmentation: seg, resourceGroupName: 'rg', location: 'westeurope' })).code).toBe('DuplicateBackend');
    const aws = new Stack(new App(), 'Aws');
    expect(() => new AwsSegmentation(aws, 'Aws', { segmentation: seg, vpc: vpcOf(aws) })).not.toThrow();
    expect(() => new GcpSegmentation(new TerraformStack(new TfApp({ outdir: require('os').tmpdir() }), 'other'), 'Gcp', { segmentation: seg, network: 'vpc' })).not.toThrow();
  });
});

describe('names that meet after rendering', () => {
  it('GCP: workload "frontend-to-z-db" next to zone "db-to-zones" is a DuplicateName, not an internal error', () => {
    const seg = Segmentation.root('Shop');
    const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] });
    const x = web.addWorkload('frontend-to-z-db');
    const fe = web.addWorkload('frontend');
    seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('api').allowFrom(x, Port.tcp(1));
    seg.addZone('db-to-zones', { cidrs: ['10.0.2.0/24'] }).addWorkload('db').allowFrom(fe, Port.tcp(2));
    const err = refused(() => GcpTerraform.render({ segmentation: seg, network: 'vpc', zones: ['web', 'app'] }));
    expect(err.code).toBe('DuplicateName');
    expect(err.path).toBe('Shop#gcp');
    expect(err.value).toBe('shop-allow-out-frontend-to-z-db-to-zones');
    expect(err.message).not.toMatch(/internal/);
  });

  it('Azure: workloads named "asgs" and "azure-zones" are a DuplicateName, not an internal error', () => {
    const seg = Segmentation.root('Shop');
    const api = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('asgs');
    seg.addZone('App', { cidrs: ['10.0.1.0/24'], mode: EnforcementMode.MONITOR }).addWorkload('azure-zones').allowFrom(api, Port.allTraffic());
    seg.addZone('Db', { cidrs: ['10.0.2.0/24'] }).addWorkload('db').allowFrom(api, Port.tcp(5));
    const err = refused(() => AzureTerraform.render({ segmentation: seg, resourceGroupName: 'rg', location: 'westeurope' }));
    expect(err.code).toBe('DuplicateName');
    expect(err.value).toBe('allow-out-asgs-to-azure-zones-all');
  });
});

describe('backend props and model problems come together', () => {
  it('GcpTerraform: a missing network and an invalid CIDR in one error, props first', () => {
    const { seg } = base();
    seg.addZone('Bad', { cidrs: ['10.0.0.0/33'] }).addWorkload('X');
    const err = refused(() => GcpTerraform.render(any({ segmentation: seg, identity: 'TAGS' })));
    expect(codes(err)).toEqual(['InvalidProp Shop#gcp', 'InvalidProp Shop#gcp', 'InvalidCidr Shop/Bad']);
    expect(err.message).toMatch(/^3 problems, nothing was rendered:\n/);
  });

  it('AzureTerraform: location, nsgScope and the model in one error', () => {
    const { seg, pg } = base();
    pg.allowFrom(Selector.labels({}), Port.tcp(1));
    const err = refused(() => AzureTerraform.render(any({ segmentation: seg, resourceGroupName: 'rg', nsgScope: 'zone' })));
    expect(err.problems.map(p => `${p.code} ${String(p.value)}`)).toEqual(['InvalidProp location', 'InvalidProp nsgScope', 'InvalidLabel selector:']);
  });
});

describe('allowFromWith / allowToWith', () => {
  it('carry description, owner and expires into the flow', () => {
    const { seg, front, pg } = base();
    pg.allowFromWith(front, { ports: [Port.tcp(5432)], description: 'orders database', owner: 'team-data', expires: '2099-12-31' });
    front.allowToWith(pg, { ports: [Port.tcp(6432)], owner: 'team-web' });
    const flows = compile(seg).flows;
    expect(flows.map(f => [f.path, f.description, f.owner, f.expires])).toEqual([
      ['Shop/Db/Pg/From-workload:front-tcp:5432', 'orders database', 'team-data', '2099-12-31'],
      ['Shop/Web/Front/To-workload:pg-tcp:6432', 'workload:front to workload:pg on tcp:6432', 'team-web', undefined],
    ]);
  });

  it('the same flow twice returns it; twice with different options is refused', () => {
    const { front, pg } = base();
    const a = pg.allowFromWith(front, { ports: [Port.tcp(1)], owner: 'x' });
    expect(pg.allowFromWith(front, { ports: [Port.tcp(1)], owner: 'x' })).toBe(a);
    expect(pg.allowFrom(front, Port.tcp(1))).toBe(a);
    expect(refused(() => pg.allowFromWith(front, { ports: [Port.tcp(1)], owner: 'y' })).message)
      .toMatch(/InvalidProp\] at Shop\/Db\/Pg\/From-workload:front-tcp:1: "owner": this flow is already declared with a different owner/);
  });

  it('an expired flow declared with options fails like any other', () => {
    const { seg, front, pg } = base();
    pg.allowFromWith(front, { ports: [Port.tcp(1)], expires: '2020-01-01', owner: 'team-x' });
    expect(refused(() => compile(seg)).message).toMatch(/ExpiredFlow.*owner: team-x/);
  });
});
