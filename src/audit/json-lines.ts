/**
 * Maps paths inside a JSON text (`clouds.aws.expected[3]`, `clouds.aws.containers["sg:web"]`) to
 * the line where their value starts, so SARIF results can point at the manifest entry.
 */

/** Returns a map from path to 1-based line. Paths use `.key` for identifier keys, `["key"]` otherwise, `[i]` for items. */
export function jsonLineIndex(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) { if (text[i] === '\n') line++; i++; }
  };
  const str = (): string => {
    let s = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') { s += text[i + 1]; i += 2; continue; }
      s += text[i++];
    }
    i++;
    return s;
  };
  const value = (path: string, depth: number): void => {
    ws();
    out.set(path, line);
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      while (i < text.length) {
        ws();
        const key = str();
        ws(); i++; // colon
        const child = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path ? path + '.' : ''}${key}` : `${path}[${JSON.stringify(key)}]`;
        if (depth < 6) value(child, depth + 1); else skip();
        ws();
        if (text[i] === ',') { i++; continue; }
        i++; return;
      }
    } else if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      let n = 0;
      while (i < text.length) {
        if (depth < 6) value(`${path}[${n++}]`, depth + 1); else skip();
        ws();
        if (text[i] === ',') { i++; continue; }
        i++; return;
      }
    } else if (c === '"') {
      str();
    } else {
      while (i < text.length && !/[,}\]\s]/.test(text[i])) i++;
    }
  };
  const skip = (): void => {
    ws();
    let depthLocal = 0;
    let inStr = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\n') line++;
      if (inStr) { if (c === '\\') i++; else if (c === '"') inStr = false; continue; }
      if (c === '"') { inStr = true; continue; }
      if (c === '{' || c === '[') depthLocal++;
      else if (c === '}' || c === ']') { if (depthLocal === 0) return; depthLocal--; if (depthLocal === 0) { i++; return; } } else if (c === ',' && depthLocal === 0) return;
    }
  };
  try { value('', 0); } catch { /* best effort */ }
  return out;
}
