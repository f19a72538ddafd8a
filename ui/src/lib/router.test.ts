import { describe, expect, it } from 'vitest';
import {
  backLabel,
  cameFrom,
  canGoBack,
  href,
  parentOf,
  parseHash,
  replaceHere,
  startTrail,
  visit,
  type Route,
} from './router';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('router', () => {
  it('round-trips every route through its href', () => {
    const routes: Route[] = [
      { name: 'overview' },
      { name: 'timeline', app: 'api' },
      { name: 'timeline', app: 'api', env: 'staging' },
      { name: 'digest', app: 'api', digest },
      { name: 'promote', app: 'api', to: 'production', digest },
      { name: 'rollback', app: 'web app', env: 'staging' },
      { name: 'rollback', app: 'api', env: 'staging', digest },
      { name: 'export' },
      { name: 'settings' },
    ];
    for (const r of routes) expect(parseHash(href(r))).toEqual(r);
    expect(href({ name: 'digest', app: 'api', digest })).toBe(`#/digest/api/${digest}`);
    // The drift banner's links: the timeline with the stay in staging selected, and the rollback
    // with the digest that ran before picked.
    expect(href({ name: 'timeline', app: 'api', env: 'staging' })).toBe('#/timeline/api/staging');
    expect(href({ name: 'rollback', app: 'api', env: 'staging', digest })).toBe(
      `#/rollback/api/staging/${digest}`,
    );
  });

  it('treats an empty hash as the overview and anything unknown as not found', () => {
    expect(parseHash('')).toEqual({ name: 'overview' });
    expect(parseHash('#/')).toEqual({ name: 'overview' });
    expect(parseHash('#/timeline')).toEqual({ name: 'not-found', path: 'timeline' });
    expect(parseHash('#/nope/x')).toEqual({ name: 'not-found', path: 'nope/x' });
  });

  it('goes one level up on Escape', () => {
    expect(parentOf({ name: 'digest', app: 'api', digest })).toEqual({ name: 'timeline', app: 'api' });
    expect(parentOf({ name: 'timeline', app: 'api' })).toEqual({ name: 'overview' });
    expect(parentOf({ name: 'overview' })).toBeNull();
  });

  it("keeps the timeline's zoom and cursor in its address", () => {
    const from = Date.parse('2025-11-01T00:00:00Z');
    const until = Date.parse('2025-11-08T12:30:00Z');
    const at = Date.parse('2025-11-05T09:15:00.500Z');
    const r: Route = { name: 'timeline', app: 'web app', from, until, at };
    expect(href(r)).toBe(
      '#/timeline/web%20app?from=2025-11-01T00:00:00.000Z&until=2025-11-08T12:30:00.000Z&at=2025-11-05T09:15:00.500Z',
    );
    expect(parseHash(href(r))).toEqual(r);
    // times that do not parse are left out, the rest kept
    expect(parseHash('#/timeline/api?from=yesterday&at=2025-11-05T09:15:00Z')).toEqual({
      name: 'timeline',
      app: 'api',
      at: Date.parse('2025-11-05T09:15:00Z'),
    });
  });

  it('remembers where the person came from, with the place changed in it', () => {
    startTrail('#/');
    expect(canGoBack()).toBe(false);
    expect(cameFrom({ name: 'timeline', app: 'api' })).toEqual({ name: 'timeline', app: 'api' });
    expect(visit('#/timeline/api')).toBe('new');
    expect(cameFrom({ name: 'settings' })).toEqual({ name: 'overview' });
    // the timeline zooms: its address changes in place, no new step
    const zoomed: Route = { name: 'timeline', app: 'api', from: 0, until: 3_600_000 };
    replaceHere(zoomed);
    expect(location.hash).toBe(href(zoomed));
    expect(visit(`#/digest/api/${digest}`)).toBe('new');
    expect(cameFrom({ name: 'overview' })).toEqual(zoomed);
    expect(backLabel(cameFrom({ name: 'overview' }))).toBe('Timeline of api');
    // going back to it is a step back, not a new one
    expect(visit(href(zoomed))).toBe('back');
    expect(visit(href(zoomed))).toBe('same');
    expect(cameFrom({ name: 'settings' })).toEqual({ name: 'overview' });
    expect(backLabel({ name: 'digest', app: 'api', digest })).toBe('Digest abababababab');
    location.hash = '';
  });
});
