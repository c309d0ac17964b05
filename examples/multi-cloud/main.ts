/**
 * The CDK for Terraform app of the multi-cloud example: the Azure and GCP parts of the model in
 * `model.ts`, one Terraform stack per cloud. `npx cdktf synth` (cdktf.json) runs this file;
 * `buildApp()` is what tests and the examples runner call.
 *
 * Providers are configured offline (no credentials are read at synth).
 */
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { azure, gcp } from '../../src';
import { shop } from './model';

export { shop } from './model';

/** Builds (does not synthesize) the CDKTF app. */
export function buildApp(outdir?: string): App {
  // without an explicit outdir, App uses the one the cdktf CLI passes (CDKTF_OUTDIR), else cdktf.out
  const app = new App(outdir ? { outdir } : {});

  const azureStack = new TerraformStack(app, 'shop-azure');
  new AzurermProvider(azureStack, 'azurerm', { features: [{}], subscriptionId: '00000000-0000-0000-0000-000000000000' });
  const az = new azure.AzureSegmentation(azureStack, 'Segmentation', {
    segmentation: shop,
    resourceGroupName: 'rg-shop-api',
    location: 'westeurope',
    zones: ['api'],
    subnetIds: { api: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shop-net/providers/Microsoft.Network/virtualNetworks/shop/subnets/api' },
    tags: { costcenter: 'shop' },
  });
  // every backend says what a member of a workload must carry (ISegmentationBackend):
  // az.memberIdentity(orders) is { asgName, asgTerraformAddress, nsgName, zone }.
  // a VM's NIC joins its workload's ASG with:
  //   new NetworkInterfaceApplicationSecurityGroupAssociation(azureStack, 'OrdersNic', {
  //     networkInterfaceId: nic.id, applicationSecurityGroupId: az.applicationSecurityGroupFor(orders).id });
  void az;

  const gcpStack = new TerraformStack(app, 'shop-gcp');
  new GoogleProvider(gcpStack, 'google', { project: 'shop-analytics', region: 'europe-west1' });
  new gcp.GcpSegmentation(gcpStack, 'Segmentation', {
    segmentation: shop,
    network: 'analytics-vpc',
    project: 'shop-analytics',
    zones: ['analytics'],
  });
  return app;
}

if (require.main === module) {
  buildApp().synth();
}
