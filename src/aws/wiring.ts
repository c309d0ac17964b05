/**
 * Cross-stack wiring: the nested stacks of a sharded plan (see shard.ts), which stack holds each
 * security group and network ACL, and how a rule in one stack names a group of another (packed
 * `CommaDelimitedList` parameters fed by the producer's outputs, picked with `Fn::Select`).
 *
 * @internal
 */
import { CfnOutput, CfnParameter, CfnResource, Fn, NestedStack, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ShardPlan } from './shard';

/** Logical id of a nested stack's i-th packed output of group ids. */
function outputId(i: number): string {
  return `GroupIds${i}`;
}

/** The nested stacks of a plan (none when it is not sharded) and the references between them. */
export class StackWiring {
  private readonly stacks = new Map<string, NestedStack>();
  private readonly plans = new Map<string, ShardPlan>();
  /** Group name or `nacl:<zone>` -> id of the nested stack holding it (absent: the backend's stack). */
  private readonly shardOfKey = new Map<string, string>();
  private readonly importParams = new Map<string, CfnParameter>();

  /** Creates the nested stacks of `shards` under `backend`. */
  constructor(private readonly backend: Construct, segmentation: string, shards: readonly ShardPlan[] | undefined) {
    for (const sh of shards ?? []) {
      this.plans.set(sh.id, sh);
      this.stacks.set(sh.id, new NestedStack(backend, sh.id, { description: `microseg ${segmentation}: ${sh.layer} of zone ${sh.zone}${sh.part ? ` (part ${sh.part + 1})` : ''}` }));
      for (const g of sh.groups) this.shardOfKey.set(g, sh.id);
      for (const z of sh.nacls) this.shardOfKey.set(`nacl:${z}`, sh.id);
    }
  }

  /** The scope (the backend, or a nested stack) that holds a group or a zone's network ACL (`nacl:<zone>`). */
  public scopeOf(key: string): Construct {
    const shard = this.shardOfKey.get(key);
    return shard ? this.nestedStack(shard) : this.backend;
  }

  /**
   * The id of `group` as seen from the stack that holds `consumer`: the group's own id in the
   * same stack, else a packed import across nested stacks.
   */
  public groupIdFor(consumer: string, group: string, ownId: string): string {
    const from = this.shardOfKey.get(consumer);
    const producer = this.shardOfKey.get(group);
    if (!from || !producer || from === producer) return ownId;
    const p = this.shardPlan(producer);
    const output = p.outputs.findIndex(o => o.includes(group));
    const key = `${from}|${producer}|${output}`;
    let param = this.importParams.get(key);
    if (!param) {
      const consumerStack = this.nestedStack(from);
      const name = `Ids${producer}${output}`;
      param = new CfnParameter(consumerStack, name, { type: 'CommaDelimitedList', description: `Security group ids exported by ${producer} (output ${output})` });
      param.overrideLogicalId(name);
      consumerStack.setParameter(name, Token.asString(this.nestedStack(producer).nestedStackResource!.getAtt(`Outputs.${outputId(output)}`)));
      this.importParams.set(key, param);
    }
    return Fn.select(p.outputs[output].indexOf(group), param.valueAsList);
  }

  /** Every nested stack exports the ids of all its groups, packed (stable: independent of flows). */
  public exportGroupIds(idOf: (group: string) => string): void {
    for (const sh of this.plans.values()) {
      sh.outputs.forEach((names, i) => {
        const out = new CfnOutput(this.nestedStack(sh.id), outputId(i), { value: Fn.join(',', names.map(idOf)) });
        out.overrideLogicalId(outputId(i));
      });
    }
  }

  /**
   * Where a resource lives, for the manifest: the backend's stack, or a nested stack of it (its
   * construct id and the logical id of its `AWS::CloudFormation::Stack` resource in `stack`).
   */
  public location(key: string, stack: Stack, stackName: string): Record<string, string> {
    const shard = this.shardOfKey.get(key);
    if (!shard) return { stackName };
    const ns = this.nestedStack(shard);
    return { stackName, nestedStack: shard, nestedStackLogicalId: stack.getLogicalId(ns.nestedStackResource as CfnResource) };
  }

  private nestedStack(id: string): NestedStack {
    const s = this.stacks.get(id);
    if (!s) throw new Error(`microseg internal error: no nested stack "${id}"`);
    return s;
  }

  private shardPlan(id: string): ShardPlan {
    const p = this.plans.get(id);
    if (!p) throw new Error(`microseg internal error: no shard plan "${id}"`);
    return p;
  }
}
