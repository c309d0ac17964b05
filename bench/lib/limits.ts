/**
 * The limits every synthesized output is checked against (defaults of a fresh account / project).
 * Sources: cloud-facts.md, the AWS VPC quotas page ("A rule that references a security group or
 * prefix list ID counts as one rule for IPv4 and one rule for IPv6"), the CloudFormation quotas
 * page, and Azure's networking limits table.
 */
export const AWS_LIMITS = {
  /** Resources per CloudFormation stack. */
  resourcesPerStack: 500,
  /** Parameters per CloudFormation template. */
  parametersPerStack: 200,
  /** Outputs per CloudFormation template. */
  outputsPerStack: 200,
  /**
   * Template body size when uploaded to S3 (`TemplateURL`): 1 MB = 1,048,576 bytes. CDK uploads
   * every template (and nested templates always go through S3); the inline `TemplateBody` limit
   * is 51,200 bytes and does not apply to CDK deployments.
   */
  templateBytes: 1_048_576,
  /** Inbound or outbound rules per security group, per address family (IPv4 and IPv6 separately). */
  rulesPerSgPerDirection: 60,
  /** Security groups per network interface. */
  sgsPerEni: 5,
  /** Network ACL entries per direction. */
  naclEntriesPerDirection: 20,
} as const;

export const AZURE_LIMITS = {
  /** Security rules per network security group. */
  rulesPerNsg: 1000,
  /** Lowest and highest user rule priority. */
  priorityMin: 100,
  priorityMax: 4096,
  /** Application security groups referenced across all rules of one NSG. */
  asgsPerNsg: 100,
  /** Application security groups per rule side. */
  asgsPerRuleSide: 10,
  /** Source or destination addresses/ranges per rule side. */
  prefixesPerRuleSide: 4000,
} as const;

export const GCP_LIMITS = {
  /** Source tags per firewall rule (capirca's limit; cloud-facts.md). */
  sourceTagsPerRule: 30,
  /** Target tags per firewall rule. */
  targetTagsPerRule: 70,
  /** Source / target service accounts per firewall rule. */
  serviceAccountsPerRule: 10,
  /** Rule name length (RFC 1035, lowercase). */
  nameLength: 63,
  priorityMin: 0,
  priorityMax: 65535,
} as const;
