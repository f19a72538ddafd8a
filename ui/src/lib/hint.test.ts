import { describe, expect, it } from 'vitest';
import type { Hint } from './bindings/Hint';
import { hintText } from './hint';
import { digestA } from './testing';

/** One of each kind: a new kind makes this fail to compile until it is worded and listed. */
const ALL: Record<Hint['kind'], Hint> = {
  record: { kind: 'record', app: 'api', env: 'staging', image: `local/payments/api@${digestA}` },
  record_who: { kind: 'record_who', app: 'api', env: 'staging', image: `local/payments/api@${digestA}` },
  close_incident: { kind: 'close_incident', app: 'api', id: 'INC-7' },
  attest: { kind: 'attest', app: 'api', digest: digestA, check: 'load-test' },
  unreject: { kind: 'unreject', app: 'api', digest: digestA, env: 'staging' },
  sign_with_key: { kind: 'sign_with_key', id: 'quinn@example.com' },
  key_init: { kind: 'key_init', id: null },
  login: { kind: 'login', registry: 'registry.example.com' },
  sync: { kind: 'sync' },
  verify: { kind: 'verify' },
  hand_over_key: { kind: 'hand_over_key', id: 'quinn@example.com' },
  list_identity: { kind: 'list_identity', id: 'release-bot' },
  name_actor: { kind: 'name_actor' },
  give_reason: { kind: 'give_reason' },
  choose_role: { kind: 'choose_role', roles: ['qa', 'manager'] },
  open_workspace: { kind: 'open_workspace' },
  name_digest: { kind: 'name_digest' },
};

describe('hintText', () => {
  it('words every hint as an action in the window: no CLI flag, command line or placeholder', () => {
    for (const hint of Object.values(ALL)) {
      const text = hintText(hint);
      expect(text, hint.kind).not.toMatch(/--|`|\btollgate [a-z]|\bTEXT\b|\bID\b|REPOSITORY|HEX/);
      expect(text, hint.kind).toMatch(/^[A-Z].*\.$/);
    }
  });

  it('names the facts it was given', () => {
    expect(hintText(ALL.record)).toBe(
      `If ${digestA.slice(7, 19)} is right in staging, record it there (“This is right: record it”, signed by you).`,
    );
    expect(hintText(ALL.close_incident)).toContain('Close INC-7');
    expect(hintText(ALL.login)).toBe(
      'Store credentials for registry.example.com in Settings → Registries and credentials, then try again.',
    );
    expect(hintText(ALL.unreject)).toContain('for staging and later');
    expect(hintText(ALL.choose_role)).toContain('(qa, manager)');
    expect(hintText(ALL.hand_over_key)).toContain('quinn@example.com’s public key line');
  });
});
