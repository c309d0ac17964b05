/** microseg on GCP without cdktf: `GcpTerraform.write` (plain `*.tf.json`). */
import { CaseContext } from '../lib/harness';
import { GCP_NETWORK } from '../lib/tf-app';
import { runTfJsonWriter } from '../lib/tfjson-case';

export async function run(ctx: CaseContext) {
  return runTfJsonWriter(ctx, '../../src/gcp', 'the GCP backend (src/gcp)', 'GcpTerraform', { network: GCP_NETWORK });
}
