/** Names of the Azure resources: derived from model names only, hash-shortened to Azure's limits. */
import { shortenName } from '../plan/text';
import { tfIdentifier } from '../terraform/util';

/** An Azure resource name of at most 80 characters (hash-shortened when longer). */
export function azureName(full: string): string {
  return shortenName(full, 80);
}

/** The ASG name of a workload. */
export function azureAsgName(segmentation: string, workload: string): string {
  return azureName(`${segmentation}-${workload}`);
}

/** The NSG name of a zone. */
export function azureNsgName(segmentation: string, zone: string): string {
  return azureName(`${segmentation}-${zone}`);
}

/** The Terraform name of a workload's ASG. */
export function azureAsgTfName(segmentation: string, workload: string): string {
  return tfIdentifier(`${segmentation}_${workload}`);
}

/** The Terraform name of a zone's NSG (and of its subnet association). */
export function azureNsgTfName(segmentation: string, zone: string): string {
  return tfIdentifier(`${segmentation}_${zone}`);
}
