import { describe, expect, it } from 'vitest';
import { placeOf } from './place';

describe('placeOf', () => {
  it('names a registry tag', () => {
    expect(placeOf({ repository: 'local/api', tag: 'staging' })).toEqual({
      label: ':staging',
      title: 'local/api:staging',
    });
  });

  it('names a deployment file and its commit', () => {
    expect(
      placeOf({
        repository: 'ghcr/acme/api',
        tag: null,
        git: 'deploy',
        file: 'apps/api/prod.yaml',
        commit: '0123456789abcdef0123456789abcdef01234567',
      }),
    ).toEqual({
      label: 'deploy:apps/api/prod.yaml @ 0123456789ab',
      title: 'deploy:apps/api/prod.yaml @ 0123456789abcdef0123456789abcdef01234567',
    });
  });
});
