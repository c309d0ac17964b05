/**
 * One backend per cloud for a segmentation in one app. Two backends of one cloud rendering the
 * same segmentation in the same construct tree would render the same resources (CloudFormation:
 * "section 'Resources' already contains ...") and overwrite each other's section of the one
 * manifest `<segmentation>.microseg.json`, so the second is refused with
 * `microseg:DuplicateBackend` when it is created. Different apps (a CDK app for AWS and a CDKTF
 * app for Azure and GCP fed by one model) are separate trees and unaffected.
 */
import type { IConstruct } from 'constructs';
import { fail } from '../model/errors';
import type { Segmentation } from '../model/segmentation';

const CLAIMS = Symbol.for('microseg.backends');

/** Registers `backend` as the `cloud` backend of `segmentation` in its construct tree, or throws `DuplicateBackend`. */
export function claimBackend(segmentation: Segmentation, cloud: string, backend: IConstruct): void {
  const holder = segmentation as unknown as { [CLAIMS]?: { cloud: string; backend: IConstruct }[] };
  if (!holder[CLAIMS]) Object.defineProperty(holder, CLAIMS, { value: [], enumerable: false });
  const claims = holder[CLAIMS]!;
  const other = claims.find(c => c.cloud === cloud && c.backend.node.root === backend.node.root);
  if (other) {
    fail('DuplicateBackend', backend.node.path, cloud,
      `segmentation "${segmentation.name}" is already rendered for ${cloud} by ${other.backend.node.path} in this app: a second backend would render the same resources and overwrite the manifest's ${cloud} section.`,
      `Use one ${cloud} backend per segmentation (its \`zones\` prop chooses the zones it renders), or a second Segmentation for a separate estate.`);
  }
  claims.push({ cloud, backend });
}
