import { fail } from './errors';
import { isUnresolved } from './tokens';

/**
 * Names must be valid in every cloud: SG tags, ASG names, GCP tags and rule names. They end with
 * a letter or digit: GCP names (`[a-z]([-a-z0-9]*[a-z0-9])?`) and Azure resource names may not
 * end with a hyphen.
 */
export const NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][a-z0-9_.\-/]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_.\-]{0,63}$/;

/** Suggests a valid name for an invalid one. */
export function suggestName(raw: string): string {
  let s = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '');
  if (s.length > 40) s = s.slice(0, 40).replace(/-+$/, '');
  return s || 'name';
}

/** Validates a model name (zone, workload, segmentation). */
export function validateName(kind: string, name: string, path: string): void {
  if (typeof name !== 'string') {
    fail('InvalidName', path, name, `is not a valid ${kind} name: a name is a string.`, 'Pass a string such as "web", or omit `name` to use the construct id.');
  }
  if (isUnresolved(name)) fail('InvalidName', path, name, `A ${kind} name cannot be a token: names become resource names and must be known at synth.`);
  if (!NAME_PATTERN.test(name)) {
    fail('InvalidName', path, name,
      `is not a valid ${kind} name: use lowercase letters, digits and hyphens, start with a letter, end with a letter or digit, at most 40 characters (it becomes an AWS tag, an Azure ASG name and a GCP tag).`,
      `Did you mean "${suggestName(name)}"?`);
  }
}

/** Validates a label map (keys and values are lowercase, as GCP labels require). */
export function validateLabels(labels: Record<string, string>, path: string): void {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    fail('InvalidLabel', path, labels, 'labels are an object of key/value strings.', 'E.g. labels: { app: "web" }.');
  }
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k)) {
      fail('InvalidLabel', path, k, 'is not a valid label key: lowercase letters, digits, "_", ".", "-", "/", starting with a letter, at most 63 characters.', `Did you mean "${k.toLowerCase().replace(/[^a-z0-9_.\-/]/g, '-')}"?`);
    }
    if (typeof v !== 'string' || !LABEL_VALUE.test(v)) {
      fail('InvalidLabel', path, v, `is not a valid value for label "${k}": lowercase letters, digits, "_", ".", "-", at most 63 characters.`, typeof v === 'string' ? `Did you mean "${v.toLowerCase().replace(/[^a-z0-9_.\-]/g, '-')}"?` : undefined);
    }
  }
}
