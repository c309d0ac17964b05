/**
 * Terraform output a user can `terraform init` safely: every document names the provider and the
 * major version the backend is tested against (`required_providers`), and text that Terraform
 * would evaluate (`${...}`, `%{...}` in construct ids and descriptions) is escaped.
 */
import { App, TerraformStack, Testing } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { describe, expect, it } from 'vitest';
import { AllowFlow, Port, Segmentation } from '../../src';
import { AzureSegmentation, AzureTerraform } from '../../src/azure';
import { GcpSegmentation, GcpTerraform } from '../../src/gcp';
import { escapeTemplate } from '../../src/terraform/util';

function model() {
  const seg = Segmentation.root('Shop');
  const web = seg.addZone('Web', { cidrs: ['10.0.0.0/24'] }).addWorkload('Frontend');
  const api = seg.addZone('App', { cidrs: ['10.0.1.0/24'] }).addWorkload('Api');
  api.allowFrom(web, Port.tcp(8080));
  return { seg, web, api };
}

const azureProps = (seg: Segmentation) => ({ segmentation: seg, resourceGroupName: 'rg', location: 'westeurope' });
const gcpProps = (seg: Segmentation) => ({ segmentation: seg, network: 'vpc' });

/** The `required_providers` a provider binding declares when it is configured in a stack. */
function bindingRequirement(make: (stack: TerraformStack) => void, name: string): { source: string; version: string } {
  const out = JSON.parse(Testing.synthScope(scope => make(scope as TerraformStack)));
  return out.terraform.required_providers[name];
}

describe('required_providers', () => {
  it('the tf.json writers name azurerm ~> 4.0 and google ~> 6.0', () => {
    const { seg } = model();
    expect(JSON.parse(AzureTerraform.render(azureProps(seg))).terraform).toEqual({ required_providers: { azurerm: { source: 'hashicorp/azurerm', version: '~> 4.0' } } });
    expect(JSON.parse(GcpTerraform.render(gcpProps(seg))).terraform).toEqual({ required_providers: { google: { source: 'hashicorp/google', version: '~> 6.0' } } });
  });

  it('the constraints admit the provider versions the bindings (and so the tests) are built from', () => {
    const azurerm = bindingRequirement(s => new AzurermProvider(s, 'azurerm', { features: [{}] }), 'azurerm');
    const google = bindingRequirement(s => new GoogleProvider(s, 'google', {}), 'google');
    expect(azurerm.source).toMatch(/azurerm$/);
    expect(google.source).toMatch(/google$/);
    // "~> 4.0" admits 4.x: the binding's exact provider version must be a 4.x, likewise 6.x.
    expect(azurerm.version.split('.')[0]).toBe('4');
    expect(google.version.split('.')[0]).toBe('6');
  });

  it('a CDKTF stack without a provider block gets the requirement from the backends', () => {
    const { seg } = model();
    const app = Testing.app();
    const stack = new TerraformStack(app, 'both');
    new AzureSegmentation(stack, 'Azure', azureProps(seg));
    new GcpSegmentation(stack, 'Gcp', gcpProps(seg));
    const out = JSON.parse(Testing.synth(stack));
    expect(out.terraform.required_providers).toEqual({
      azurerm: { source: 'hashicorp/azurerm', version: '~> 4.0' },
      google: { source: 'hashicorp/google', version: '~> 6.0' },
    });
  });

  it('a CDKTF stack that configures the provider keeps the provider\'s own requirement', () => {
    const { seg } = model();
    const stack = new TerraformStack(new App({ outdir: Testing.app().outdir }), 'gcp');
    new GoogleProvider(stack, 'google', {});
    new GcpSegmentation(stack, 'Gcp', gcpProps(seg));
    const out = JSON.parse(Testing.synth(stack));
    expect(out.terraform.required_providers.google.version).toMatch(/^6\./);
  });
});

describe('Terraform template sequences are escaped', () => {
  it('escapeTemplate doubles $ and % before {', () => {
    expect(escapeTemplate('a ${b} %{ if c } $d {e} $${f}')).toBe('a $${b} %%{ if c } $d {e} $$${f}');
  });

  it('construct ids with ${...} reach descriptions literally (tf.json and cdktf)', () => {
    const { seg, web, api } = model();
    new AllowFlow(api, '${file("/etc/passwd")}', { from: web, to: api, ports: [Port.tcp(9090)] });
    new AllowFlow(api, 'Metrics', { from: web, to: api, ports: [Port.tcp(9100)], description: 'scrape %{ if true }x%{ endif } ${var.token}' });
    for (const doc of [AzureTerraform.render(azureProps(seg)), GcpTerraform.render(gcpProps(seg)), Testing.synthScope(s => { new GcpSegmentation(s, 'Gcp', gcpProps(seg)); })]) {
      const descriptions: string[] = [];
      JSON.parse(doc, (k, v) => { if (k === 'description') descriptions.push(v); return v; });
      expect(descriptions.length).toBeGreaterThan(0);
      // every ${ and %{ in a description is escaped (preceded by its own sign)
      for (const d of descriptions) expect(d.replace(/\$\$\{|%%\{/g, '')).not.toMatch(/[$%]\{/);
      expect(descriptions.some(d => d.includes('$${file("--etc--passwd")}'))).toBe(true);
    }
  });
});
