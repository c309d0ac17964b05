/**
 * What AWS's two rule layers can express, stated once (see `src/plan/capabilities.ts`): security
 * groups (stateful, allow only, unordered, a group reference or one range per rule side) and
 * network ACLs (stateless, allow and deny, ordered by rule number, ranges only).
 *
 * @internal
 */
import { CloudCapabilities } from '../plan';
import { DEFAULT_QUOTAS, NACL_BANDS, NACL_MONITOR_NUMBERS } from './types';
import { AwsWarnings } from './warnings';

/** Security groups. */
export const AWS_SECURITY_GROUPS: CloudCapabilities = {
  name: 'AWS security groups',
  stateful: true,
  denyRules: false,
  egressByRangeOnly: false,
  identitiesPerSide: 1,
  icmpTypes: true,
  peerOverlapWarning: AwsWarnings.PEER_INSIDE_ZONES,
  limits: { rulesPerSecurityGroup: DEFAULT_QUOTAS.rulesPerSecurityGroup, securityGroupsPerInterface: DEFAULT_QUOTAS.securityGroupsPerInterface, resourcesPerStack: DEFAULT_QUOTAS.resourcesPerStack },
};

/** Network ACLs: a return band for the replies of stateless allows comes before the deny band. */
export const AWS_NETWORK_ACLS: CloudCapabilities = {
  name: 'AWS network ACLs',
  stateful: false,
  denyRules: true,
  priorities: {
    unique: true,
    deny: [NACL_BANDS.deny.from, NACL_BANDS.deny.to],
    allow: [NACL_BANDS.allow.from, NACL_BANDS.allow.to],
    monitorCatchAll: NACL_MONITOR_NUMBERS.ipv4,
    defaultDeny: 32767,
  },
  egressByRangeOnly: true,
  identitiesPerSide: 0,
  icmpTypes: true,
  peerOverlapWarning: AwsWarnings.PEER_INSIDE_ZONES,
  limits: { entriesPerDirection: DEFAULT_QUOTAS.naclEntriesPerDirection },
};
