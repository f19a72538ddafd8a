import { describe, expect, it } from 'vitest';
import { formatTime, shortDigest, uniqueInOrder } from './format';

describe('format', () => {
  it('shortens a digest to its first 12 hex digits', () => {
    expect(shortDigest(`sha256:${'0123456789abcdef'.repeat(4)}`)).toBe('0123456789ab');
  });

  it('formats times in UTC to the minute, and leaves unparsable text alone', () => {
    expect(formatTime('2025-11-25T08:23:45+01:00')).toBe('2025-11-25 07:23 UTC');
    expect(formatTime('yesterday')).toBe('yesterday');
  });

  it('keeps first-seen order', () => {
    expect(uniqueInOrder(['dev', 'staging', 'dev', 'production', 'staging'])).toEqual([
      'dev',
      'staging',
      'production',
    ]);
  });
});
