/**
 * A small, deterministic YAML emitter for plain data (maps, lists, strings, numbers, booleans),
 * enough for Kubernetes objects, so the plain writer needs no YAML library. Strings that YAML
 * could read as something else are double-quoted (JSON string syntax is valid YAML).
 */

const PLAIN = /^[A-Za-z0-9_./-][A-Za-z0-9_./: -]*$/;
const AMBIGUOUS = /^(?:true|false|yes|no|on|off|y|n|null|~|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|0x[0-9a-f]+|0o[0-7]+|[-+]?\.inf|\.nan)$/i;

function scalar(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  const s = String(v);
  const plain = s.length > 0 && PLAIN.test(s) && !AMBIGUOUS.test(s) && !s.endsWith(' ') && !s.endsWith(':') && !s.includes(': ') && !s.includes(' #') && !s.startsWith('-');
  return plain ? s : JSON.stringify(s);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function lines(v: unknown, indent: string): string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return [];
    return v.flatMap(item => {
      if ((isMap(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
        const inner = lines(item, indent + '  ');
        return [`${indent}- ${inner[0].slice(indent.length + 2)}`, ...inner.slice(1)];
      }
      return [`${indent}- ${inline(item)}`];
    });
  }
  if (isMap(v)) {
    return Object.entries(v).filter(([, x]) => x !== undefined).flatMap(([k, x]) => {
      const key = scalar(k);
      if ((isMap(x) && Object.keys(x).length > 0) || (Array.isArray(x) && x.length > 0)) {
        return [`${indent}${key}:`, ...lines(x, Array.isArray(x) ? indent : indent + '  ')];
      }
      return [`${indent}${key}: ${inline(x)}`];
    });
  }
  return [`${indent}${scalar(v)}`];
}

function inline(v: unknown): string {
  if (Array.isArray(v)) return '[]';
  if (isMap(v)) return '{}';
  return scalar(v);
}

/** One YAML document for a value (a map or list). */
export function toYaml(value: unknown): string {
  const out = lines(value, '');
  return (out.length ? out.join('\n') : inline(value)) + '\n';
}

/** A multi-document YAML stream (`---` between documents). */
export function toYamlDocuments(values: unknown[]): string {
  return values.map(toYaml).join('---\n');
}

/** Deep copy with map keys sorted (lists keep their order); Kubernetes objects keep apiVersion, kind, metadata first. */
export function sortedObject<T>(value: T, top = true): T {
  if (Array.isArray(value)) return value.map(x => sortedObject(x, false)) as unknown as T;
  if (isMap(value)) {
    const keys = Object.keys(value).filter(k => value[k] !== undefined).sort();
    const first = top ? ['apiVersion', 'kind', 'metadata'].filter(k => keys.includes(k)) : [];
    return Object.fromEntries([...first, ...keys.filter(k => !first.includes(k))].map(k => [k, sortedObject(value[k], false)])) as T;
  }
  return value;
}
