import { describe, expect, it } from 'vitest';
import { href, parentOf, parseHash, type Route } from './router';

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
});
