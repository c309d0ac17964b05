/**
 * Shared internals of the Terraform backends (`azure`, `gcp`): Terraform JSON
 * documents, and the conversion of Terraform attribute objects to cdktf provider configs.
 * Pure: imports neither cdktf nor any provider package. Not part of the public API.
 */
import { MicrosegError } from '../model/errors';

/** One Terraform resource: type, name (the Terraform address label) and attributes as Terraform JSON wants them. */
export interface TfResourceSpec {
  readonly type: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
}

/** A reference `${type.name.attribute}` to another resource of the same configuration. */
export function tfRef(type: string, name: string, attribute: string): string {
  return `\${${type}.${name}.${attribute}}`;
}

/** A valid Terraform identifier from any text (letters, digits, `_` and `-`, not starting with a digit or `-`). */
export function tfIdentifier(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

/** Deep copy with object keys sorted (arrays keep their order), for byte-stable JSON. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as unknown as T;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().filter(k => o[k] !== undefined).map(k => [k, sortKeys(o[k])])) as T;
  }
  return value;
}

/**
 * Escapes Terraform's template sequences so a text is taken literally: `${` becomes `$${` and
 * `%{` becomes `%%{` (Terraform turns them back into `${` and `%{`). Descriptions carry construct
 * ids and user text, which must never be evaluated as interpolations or directives.
 *
 * @see https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences
 */
export function escapeTemplate(text: string): string {
  return text.replace(/([$%])\{/g, '$1$1{');
}

/** The attributes whose values are literal text (escaped with {@link escapeTemplate}). */
const LITERAL_ATTRIBUTES = new Set(['description']);

/** A deep copy with the literal-text attributes escaped. */
export function escapeLiterals<T>(value: T): T {
  if (Array.isArray(value)) return value.map(escapeLiterals) as unknown as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) =>
      [k, LITERAL_ATTRIBUTES.has(k) && typeof v === 'string' ? escapeTemplate(v) : escapeLiterals(v)])) as T;
  }
  return value;
}

/** A provider requirement: `terraform { required_providers { <name> = { source, version } } }`. */
export interface TfProviderRequirement {
  readonly name: string;
  readonly source: string;
  readonly version: string;
}

/**
 * A Terraform JSON document (`*.tf.json`) holding the given resources and the provider
 * requirement, keys sorted. Two resources with one address are a coded error.
 */
export function terraformJson(resources: TfResourceSpec[], provider?: TfProviderRequirement, backendPath = ''): Record<string, unknown> {
  const resource: Record<string, Record<string, unknown>> = {};
  const dups: string[] = [];
  for (const r of resources) {
    const byType = resource[r.type] ?? (resource[r.type] = {});
    if (r.name in byType) dups.push(`${r.type}.${r.name}`);
    byType[r.name] = escapeLiterals(r.attributes);
  }
  if (dups.length > 0) {
    throw MicrosegError.fromProblems(dups.map(d => ({
      code: 'DuplicateName' as const, path: backendPath, value: d,
      message: 'is a duplicate Terraform address: two rendered resources would get it (names of the model meet after rendering).',
      hint: 'Rename one of the workloads or zones involved (the `name` prop).',
    })));
  }
  const terraform = provider ? { terraform: { required_providers: { [provider.name]: { source: provider.source, version: provider.version } } } } : {};
  return sortKeys({ ...terraform, resource });
}

/**
 * Converts a Terraform JSON attribute object (snake_case) to the camelCase config a cdktf
 * provider class takes. Keys inside the objects named in `opaque` (tags, labels) are kept.
 */
export function toCdktfConfig(attributes: Record<string, unknown>, opaque: string[] = ['tags', 'labels']): Record<string, unknown> {
  attributes = escapeLiterals(attributes);
  const conv = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(conv);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [camel(k), opaque.includes(k) ? x : conv(x)]));
    }
    return v;
  };
  return conv(attributes) as Record<string, unknown>;
}

function camel(k: string): string {
  return k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
