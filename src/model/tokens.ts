/**
 * Recognises unresolved CDK / CDKTF tokens without importing either library, so validation can
 * skip them (they are checked by the cloud at deploy time instead).
 */
const STRING_TOKEN = /\$\{(Tf)?Token\[|\$\{TfToken\[/;

/** True for a string or number that is an unresolved CDK or CDKTF token. */
export function isUnresolved(value: unknown): boolean {
  if (typeof value === 'string') return STRING_TOKEN.test(value);
  // Both libraries encode number tokens as huge negative doubles around -1.88e289.
  if (typeof value === 'number') return value < -1e280;
  return false;
}
