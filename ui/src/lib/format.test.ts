import { describe, expect, it } from 'vitest';
import {
  digestColor,
  formatAgo,
  formatDay,
  formatDuration,
  formatTime,
  shortDigest,
  soak,
  uniqueInOrder,
  withTimes,
} from './format';

describe('format', () => {
  it('shortens a digest to its first 12 hex digits', () => {
    expect(shortDigest(`sha256:${'0123456789abcdef'.repeat(4)}`)).toBe('0123456789ab');
  });

  it('formats times in UTC to the minute, and leaves unparsable text alone', () => {
    expect(formatTime('2025-11-25T08:23:45+01:00')).toBe('2025-11-25 07:23 UTC');
    expect(formatTime('yesterday')).toBe('yesterday');
    expect(formatDay(Date.parse('2025-11-25T23:30:00Z'))).toBe('25 Nov');
    expect(formatDay(Date.parse('2025-01-02T00:00:00Z'), true)).toBe('2 Jan 2025');
  });

  it('writes the times in a core sentence the one way the app writes times', () => {
    expect(withTimes('soaked 3h in staging, needs 24h (ready at 2025-11-26T01:00:00Z)')).toBe(
      'soaked 3h in staging, needs 24h (ready at 2025-11-26 01:00 UTC)',
    );
    expect(withTimes('replaced at 2025-11-25T01:00:00+01:00; closed at 2025-11-25T02:00Z')).toBe(
      'replaced at 2025-11-25 00:00 UTC; closed at 2025-11-25 02:00 UTC',
    );
    expect(withTimes('no time here, sha256:2025')).toBe('no time here, sha256:2025');
  });

  it('says durations with two units at most', () => {
    const m = 60_000;
    expect(formatDuration(30_000)).toBe('under a minute');
    expect(formatDuration(45 * m)).toBe('45m');
    expect(formatDuration(5 * 60 * m + 10 * m)).toBe('5h 10m');
    expect(formatDuration(2 * 60 * m)).toBe('2h');
    expect(formatDuration((3 * 24 + 4) * 60 * m + 7 * m)).toBe('3d 4h');
    expect(formatDuration(62 * 24 * 60 * m)).toBe('62d');
  });

  it('measures soak and age from a given now', () => {
    const now = Date.parse('2025-11-25T10:00:00Z');
    expect(soak('2025-11-22T06:00:00Z', now)).toBe('3d 4h');
    expect(formatAgo('2025-11-25T09:55:00Z', now)).toBe('5m ago');
    expect(formatAgo('2025-11-25T09:59:40Z', now)).toBe('just now');
  });

  it('gives a digest the same colour every time, and different digests different colours', () => {
    const a = `sha256:${'a1b2c3d4e5f6'.repeat(5)}a1b2`;
    const b = `sha256:${'0f1e2d3c4b5a'.repeat(5)}0f1e`;
    expect(digestColor(a)).toEqual(digestColor(a));
    expect(digestColor(a).fill).not.toBe(digestColor(b).fill);
    expect(digestColor(a).fill).toMatch(/^hsl\(\d+ \d+% \d+%\)$/);
  });

  it('keeps first-seen order', () => {
    expect(uniqueInOrder(['dev', 'staging', 'dev', 'production', 'staging'])).toEqual([
      'dev',
      'staging',
      'production',
    ]);
  });
});
