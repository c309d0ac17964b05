/**
 * Invariants in the map and the report. A manifest records the model's invariants (resolved, in
 * `model.invariants`; absent when there are none); their verdicts are computed here on the policy
 * the manifest records, with the same search synth uses (`checkInvariants`). A manifest without
 * invariants has none: the report says "no invariants declared".
 * @see https://github.com/microseg/microseg/blob/main/docs/invariants.md
 */
import { checkInvariants, formatHops } from '../analysis/invariants';
import { esc } from './html';
import { Source } from './source';
import { ReportInvariant } from './types';

/** The invariants of a source, with their verdicts on the model (empty when none are declared). */
export function invariantsOf(source: Source): ReportInvariant[] {
  if (!source.policy.invariants?.length) return [];
  return checkInvariants(source.policy).map(r => {
    const detail = r.holds ? undefined : r.hops.length ? formatHops(r.hops) : r.blockers.join('; ') || r.message;
    return {
      name: r.invariant,
      kind: String(r.kind),
      holds: r.holds,
      ...(r.description ? { description: r.description } : {}),
      ...(r.owner ? { owner: r.owner } : {}),
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
  const items = invs.map(i => `<li data-invariant="${esc(i.name)}" data-holds="${i.holds}"><strong>${i.holds ? 'holds' : 'BROKEN'}</strong> ${esc(i.kind)} ${esc(i.name)}${i.description ? `: ${esc(i.description)}` : ''}${i.detail ? ` <em>${esc(i.detail)}</em>` : ''}</li>`);
  const rows = invs.map(i => `<tr><td>${esc(i.name)}</td><td>${esc(i.kind)}</td><td>${i.holds ? 'holds' : 'broken'}</td><td>${esc(i.owner ?? '')}</td><td>${esc(i.description ?? '')}</td><td>${esc(i.detail ?? '')}</td></tr>`);
  return {
    side: `<section id="invariants"><h2>Invariants (${invs.filter(i => i.holds).length} of ${invs.length} hold)</h2><ul>${items.join('')}</ul></section>`,
    text: `<table id="t-invariants"><caption>Invariants (${invs.length})</caption><thead><tr><th scope="col">invariant</th><th scope="col">kind</th><th scope="col">verdict</th><th scope="col">owner</th><th scope="col">description</th><th scope="col">path or blockers</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
  };
}
