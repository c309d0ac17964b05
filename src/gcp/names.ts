/** Names of the GCP firewall rules and network tags: lowercase RFC 1035, at most 63 characters. */
import { shortened } from '../plan/text';
import { GCP_LIMITS } from './capabilities';

/** Shortens a name to GCP's 63 characters with a hash of the full name. */
export function gcpName(full: string): string {
  const clean = full.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (clean.length <= GCP_LIMITS.nameLength && clean === full) return full;
  return shortened(clean, full, GCP_LIMITS.nameLength);
}

/** The network tag of a workload. */
export function gcpNetworkTag(segmentation: string, workload: string): string {
  return gcpName(`${segmentation}-${workload}`);
}

/** The network name as used in canonical containers: the last segment of a self link. */
export function gcpNetworkName(network: string): string {
  return network.replace(/\/+$/, '').split('/').pop() ?? network;
}
