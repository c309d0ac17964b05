/**
 * The optional packages of the Terraform backends (cdktf, the provider bindings) are loaded when
 * a construct is created; a missing one is `microseg:MissingDependency` naming the `npm i` line.
 * (The packed-install test proves it without cdktf really installed; here the provider bindings
 * are hidden through the loader's test hook.)
 */
import { App, TerraformStack } from 'cdktf';
import { afterEach, describe, expect, it } from 'vitest';
import { Port, Segmentation } from '../../src';
import { AzureSegmentation } from '../../src/azure';
import { GcpSegmentation } from '../../src/gcp';
import { MicrosegError } from '../../src/model/errors';

function model() {
  const seg = Segmentation.root('Shop');
  const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('Frontend');
  seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('Api').allowFrom(web, Port.tcp(8080));
  return seg;
}

function thrown(fn: () => unknown): MicrosegError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MicrosegError);
    return e as MicrosegError;
  }
  throw new Error('expected a MicrosegError');
}

afterEach(() => { delete process.env.MICROSEG_HIDE_DEPENDENCIES; });

describe('MissingDependency', () => {
  it('GcpSegmentation without @cdktf/provider-google names the install line, when created', () => {
    process.env.MICROSEG_HIDE_DEPENDENCIES = '@cdktf/provider-google';
    const stack = new TerraformStack(new App(), 'gcp');
    const err = thrown(() => new GcpSegmentation(stack, 'Gcp', { segmentation: model(), network: 'vpc' }));
    expect(err.code).toBe('MissingDependency');
    expect(err.message).toBe('[microseg:MissingDependency] at gcp/Gcp: "@cdktf/provider-google": is needed by GcpSegmentation but is not installed. Install it next to microseg: npm i @cdktf/provider-google@^16 cdktf@^0.21');
    expect(err.stack).not.toMatch(/azure/);
  });

  it('AzureSegmentation without @cdktf/provider-azurerm names the install line, when created', () => {
    process.env.MICROSEG_HIDE_DEPENDENCIES = '@cdktf/provider-azurerm';
    const stack = new TerraformStack(new App(), 'azure');
    const err = thrown(() => new AzureSegmentation(stack, 'Azure', { segmentation: model(), resourceGroupName: 'rg', location: 'westeurope' }));
    expect(err.message).toMatch(/^\[microseg:MissingDependency\] at azure\/Azure: "@cdktf\/provider-azurerm": .* npm i @cdktf\/provider-azurerm@\^14 cdktf@\^0\.21$/);
  });

  it('without cdktf the constructs say so before touching the model', () => {
    process.env.MICROSEG_HIDE_DEPENDENCIES = 'cdktf';
    const stack = new TerraformStack(new App(), 'both');
    expect(thrown(() => new GcpSegmentation(stack, 'Gcp', { segmentation: model(), network: 'vpc' })).message).toMatch(/"cdktf": is needed by GcpSegmentation .* npm i cdktf@\^0\.21 constructs$/);
  });
});
