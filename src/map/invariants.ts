/**
 * Invariants in the map and the report. A manifest may carry an `invariants` section (written by
 * the backends when the model declares invariants); each entry names the invariant, its kind, its
 * description and owner, and the verdict found at synth. A manifest without one has no invariants:
 * the report says "no invariants declared".
 */
import { ReportInvariant } from './types';
import { esc } from './html';
import { Source } from './source';

/** The invariants of a source, with their verdicts (empty when none are declared). */
export function invariantsOf(source: Source): ReportInvariant[] {
  const list = (source.manifest as { invariants?: unknown } | undefined)?.invariants;
  if (!Array.isArray(list)) return [];
  return list.filter(i => i && typeof i === 'object').map((i: any) => {
    const violations = Array.isArray(i.violations) ? i.violations : [];
    const holds = typeof i.holds === 'boolean' ? i.holds : violations.length === 0;
    const detail = typeof i.detail === 'string' ? i.detail : violations.length ? violations.map((v: unknown) => typeof v === 'string' ? v : JSON.stringify(v)).join('; ') : undefined;
    return {
      name: String(i.name ?? i.path ?? i.id ?? '(unnamed)'),
      kind: String(i.kind ?? 'invariant'),
      holds,
      ...(typeof i.description === 'string' && i.description ? { description: i.description } : {}),
      ...(typeof i.owner === 'string' && i.owner ? { owner: i.owner } : {}),
      ...(detail ? { detail } : {}),
    };
  }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The invariants section of the map's side panel and text alternative. */
export function invariantsSide(source: Source): { side: string; text: string } {
  const invs = invariantsOf(source);
  if (invs.length === 0) {
    return { side: '<section id="invariants"><h2>Invariants</h2><p>No invariants declared.</p></section>', text: '' };
  }
  const items = invs.map(i => `<li data-invariant="${esc(i.name)}"><strong>${i.holds ? 'holds' : 'BROKEN'}</strong> ${esc(i.kind)} ${esc(i.name)}${i.description ? `: ${esc(i.description)}` : ''}${i.detail ? ` <em>${esc(i.detail)}</em>` : ''}</li>`);
  const rows = invs.map(i => `<tr><td>${esc(i.name)}</td><td>${esc(i.kind)}</td><td>${i.holds ? 'holds' : 'broken'}</td><td>${esc(i.owner ?? '')}</td><td>${esc(i.description ?? '')}</td><td>${esc(i.detail ?? '')}</td></tr>`);
  return {
    side: `<section id="invariants"><h2>Invariants (${invs.filter(i => i.holds).length} of ${invs.length} hold)</h2><ul>${items.join('')}</ul></section>`,
    text: `<table id="t-invariants"><caption>Invariants (${invs.length})</caption><thead><tr><th scope="col">invariant</th><th scope="col">kind</th><th scope="col">verdict</th><th scope="col">owner</th><th scope="col">description</th><th scope="col">detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
  };
}
