/** microseg on Azure without cdktf: `AzureTerraform.write` (plain `*.tf.json`). */
import { CaseContext } from '../lib/harness';
import { AZURE_LOCATION, AZURE_RG } from '../lib/tf-app';
import { runTfJsonWriter } from '../lib/tfjson-case';

export async function run(ctx: CaseContext) {
  return runTfJsonWriter(ctx, '../../src/azure', 'the Azure backend (src/azure)', 'AzureTerraform', { resourceGroupName: AZURE_RG, location: AZURE_LOCATION });
}
