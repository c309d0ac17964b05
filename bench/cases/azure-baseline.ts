/**
 * Baseline: the topology written by hand with cdktf and the azurerm provider: one ASG per
 * workload, one NSG per zone with a deny-all inbound rule at 4096, and one
 * `azurerm_network_security_rule` per flow (per protocol) on the destination zone's NSG:
 * workload sources by ASG, zone sources by the zone's CIDR, Peers by prefix; the selector flow
 * is one rule per selected workload. Priorities are numbered from 100 in flow order per NSG
 * (how a hand-writer numbers them). Inbound only: outbound stays Azure's default allow.
 */
import { CaseContext } from '../lib/harness';
import { analyzeTerraform } from '../lib/tf-metrics';
import { AZURE_LOCATION, AZURE_RG, byProtocol, makeTfApp, tfJsonFiles } from '../lib/tf-app';
import { endpointMembers, generateTopology } from '../models';

export async function run(ctx: CaseContext) {
  const cdktf = await ctx.time('import', () => import('cdktf'));
  const { AzurermProvider } = await ctx.time('import', () => import('@cdktf/provider-azurerm/lib/provider/index.js'));
  const { ApplicationSecurityGroup } = await ctx.time('import', () => import('@cdktf/provider-azurerm/lib/application-security-group/index.js'));
  const { NetworkSecurityGroup } = await ctx.time('import', () => import('@cdktf/provider-azurerm/lib/network-security-group/index.js'));
  const { NetworkSecurityRule } = await ctx.time('import', () => import('@cdktf/provider-azurerm/lib/network-security-rule/index.js'));
  const topo = generateTopology(ctx.size, ctx.seed);
  ctx.startOfMeasurement();

  let rules = 0;
  const app = await ctx.time('build', () => {
    const { app: a, stack } = makeTfApp(cdktf, ctx.outdir, 'baseline');
    new AzurermProvider(stack, 'azurerm', { features: [{}] });
    const common = { resourceGroupName: AZURE_RG, location: AZURE_LOCATION };
    const asgs = new Map<string, InstanceType<typeof ApplicationSecurityGroup>>();
    for (const w of topo.workloads) asgs.set(w.name, new ApplicationSecurityGroup(stack, `asg-${w.name}`, { name: `asg-${w.name}`, ...common }));
    const nsgs = new Map<string, InstanceType<typeof NetworkSecurityGroup>>();
    const nextPriority = new Map<string, number>();
    for (const z of topo.zones) {
      const nsg = new NetworkSecurityGroup(stack, `nsg-${z.name}`, { name: `nsg-${z.name}`, ...common });
      nsgs.set(z.name, nsg);
      nextPriority.set(z.name, 100);
      new NetworkSecurityRule(stack, `nsg-${z.name}-deny-all-in`, {
        name: 'deny-all-in', priority: 4096, direction: 'Inbound', access: 'Deny', protocol: '*',
        sourcePortRange: '*', destinationPortRange: '*', sourceAddressPrefix: '*', destinationAddressPrefix: '*',
        resourceGroupName: AZURE_RG, networkSecurityGroupName: nsg.name,
      });
    }
    const zoneOf = new Map(topo.workloads.map(w => [w.name, w.zone]));
    const zoneCidr = new Map(topo.zones.map(z => [z.name, z.cidr]));
    for (const f of topo.flows) {
      const source = f.from.kind === 'workload' ? { sourceApplicationSecurityGroupIds: [asgs.get(f.from.name)!.id] }
        : f.from.kind === 'zone' ? { sourceAddressPrefix: zoneCidr.get(f.from.name)! }
          : f.from.kind === 'cidr' ? { sourceAddressPrefix: f.from.cidr === '0.0.0.0/0' || f.from.cidr === '::/0' ? 'Internet' : f.from.cidr } : undefined;
      if (!source) throw new Error(`unexpected source of ${f.key}`);
      for (const dst of endpointMembers(topo, f.to)) {
        const zone = zoneOf.get(dst)!;
        for (const [protocol, ports] of byProtocol(f.ports)) {
          const priority = nextPriority.get(zone)!;
          nextPriority.set(zone, priority + 1);
          new NetworkSecurityRule(stack, `rule-${zone}-${priority}`, {
            name: `allow-${priority}`, priority, direction: 'Inbound', access: 'Allow', protocol: protocol === 'tcp' ? 'Tcp' : 'Udp',
            sourcePortRange: '*', destinationPortRanges: ports, ...source,
            destinationApplicationSecurityGroupIds: [asgs.get(dst)!.id],
            resourceGroupName: AZURE_RG, networkSecurityGroupName: nsgs.get(zone)!.name,
          });
          rules++;
        }
      }
    }
    return a;
  });
  await ctx.time('synth', () => app.synth());
  ctx.endOfMeasurement();

  const output = await ctx.time('analyze', () => analyzeTerraform(tfJsonFiles(ctx.outdir)), { measured: false });
  return { flows: topo.flows.length, workloads: topo.workloads.length, allowRules: rules, output };
}
