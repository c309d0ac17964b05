/** What GCP VPC firewall rules can express, and the resource type the backend renders. */
import { CloudCapabilities } from '../plan/capabilities';

/** The Terraform resource type rendered by the GCP backend. */
export const GCP_FIREWALL = 'google_compute_firewall';

/** GCP limits applied at synth. */
export const GCP_LIMITS = {
  nameLength: 63,
  sourceTagsPerRule: 30,
  targetTagsPerRule: 70,
  serviceAccountsPerRule: 10,
  /** Conservative: ranges per rule are split into rules of at most this many. */
  rangesPerRule: 256,
  descriptionLength: 2048,
};

/**
 * GCP VPC firewall rules: stateful, allow and deny, priorities 0-65535 shared by many rules
 * (lower wins, deny beats allow at equal priority), egress rules name destination ranges only,
 * many tags or service accounts per side, no ICMP types.
 *
 * @see https://cloud.google.com/firewall/docs/firewalls
 * @see https://cloud.google.com/vpc/docs/quota#firewall-rules
 */
export const GCP_CAPABILITIES: CloudCapabilities = {
  name: 'GCP',
  stateful: true,
  denyRules: true,
  priorities: { unique: false, deny: [900, 900], allow: [1000, 1000], monitorCatchAll: 64999, defaultDeny: 65000 },
  egressByRangeOnly: true,
  identitiesPerSide: GCP_LIMITS.sourceTagsPerRule,
  icmpTypes: false,
  peerOverlapWarning: 'microseg:PeerOverlapsZones',
  limits: GCP_LIMITS,
};
