/** What Azure NSG rules can express, and the names of the resources the backend renders. */
import { CloudCapabilities } from '../plan/capabilities';

/** Terraform resource types rendered by the Azure backend. */
export const AZURE_TYPES = {
  asg: 'azurerm_application_security_group',
  nsg: 'azurerm_network_security_group',
  rule: 'azurerm_network_security_rule',
  association: 'azurerm_subnet_network_security_group_association',
} as const;

/** Priority bands (inclusive). */
export const AZURE_PRIORITIES = {
  denyBand: [100, 599] as const,
  allowBand: [600, 4094] as const,
  monitorCatchAll: 4095,
  denyAll: 4096,
};

/** Azure's hard limits checked at synth. */
export const AZURE_LIMITS = {
  rulesPerNsg: 1000,
  asgsPerRuleSide: 10,
  asgsPerNsg: 100,
  ruleNameLength: 80,
  descriptionLength: 140,
};

/**
 * Azure NSG rules: stateful, allow and deny, unique priorities per direction per NSG (lower
 * wins), up to 10 application security groups on either side of a rule (the service rejects
 * 11 or more; it was 1 until the limit was raised, see terraform-provider-azurerm PR 9884), no
 * ICMP types.
 *
 * @see https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview
 * @see https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-networking-limits
 */
export const AZURE_CAPABILITIES: CloudCapabilities = {
  name: 'Azure',
  stateful: true,
  denyRules: true,
  priorities: {
    unique: true,
    deny: AZURE_PRIORITIES.denyBand,
    allow: AZURE_PRIORITIES.allowBand,
    monitorCatchAll: AZURE_PRIORITIES.monitorCatchAll,
    defaultDeny: AZURE_PRIORITIES.denyAll,
  },
  egressByRangeOnly: false,
  identitiesPerSide: AZURE_LIMITS.asgsPerRuleSide,
  icmpTypes: false,
  peerOverlapWarning: 'microseg:PeerOverlapsZones',
  limits: AZURE_LIMITS,
};
