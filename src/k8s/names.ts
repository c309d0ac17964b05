/**
 * Kubernetes names and labels: validation and deterministic shortening (names within 253
 * characters, label values within 63), pure.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */
import { createHash } from 'crypto';

/** Kubernetes limits used by the backend. */
export const KUBE_LIMITS = { objectName: 253, labelValue: 63, labelName: 63, labelPrefix: 253, namespace: 63 };

const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const LABEL_NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Whether a text is a valid label value (at most 63 characters). */
export function isLabelValue(v: string): boolean {
  return typeof v === 'string' && v.length <= KUBE_LIMITS.labelValue && LABEL_VALUE.test(v);
}

/** Whether a text is a valid label key (`[prefix/]name`, prefix a DNS subdomain). */
export function isLabelKey(k: string): boolean {
  if (typeof k !== 'string') return false;
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (name.length > KUBE_LIMITS.labelName || !LABEL_NAME.test(name)) return false;
  return prefix === undefined || (prefix.length <= KUBE_LIMITS.labelPrefix && DNS_SUBDOMAIN.test(prefix));
}

/** Whether a text is a valid namespace name (a DNS label, at most 63 characters). */
export function isNamespaceName(n: string): boolean {
  return typeof n === 'string' && n.length <= KUBE_LIMITS.namespace && DNS_LABEL.test(n);
}

/** A valid label value for any text: the text itself when valid, else a cleaned prefix and a hash of the full text. */
export function labelValue(text: string): string {
  if (isLabelValue(text)) return text;
  const clean = text.replace(/[^-A-Za-z0-9_.]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return `${clean.slice(0, KUBE_LIMITS.labelValue - 9).replace(/[^A-Za-z0-9]+$/, '')}-${hash8(text)}`.replace(/^-/, 'x-');
}

/** A valid object name (DNS subdomain, at most 253 characters) for any text, hash-shortened when too long. */
export function objectName(text: string): string {
  if (text.length <= KUBE_LIMITS.objectName && DNS_SUBDOMAIN.test(text)) return text;
  const clean = text.toLowerCase().replace(/[^-a-z0-9.]/g, '-').replace(/^[^a-z0-9]+/, '');
  return `${clean.slice(0, KUBE_LIMITS.objectName - 9).replace(/[^a-z0-9]+$/, '')}-${hash8(text)}`.replace(/^-/, 'x-');
}
