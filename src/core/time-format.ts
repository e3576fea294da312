// Times and durations as shadowcast prints them, one helper for each form: ISO instants for
// journals and JSON, minutes for reasons and alerts, UTC dates for tables and reports, durations
// compact as policies write them ("15m") or spelt out as people read them ("2 min 05 s"). Times
// come from the data or the caller's clock, never read here.

/** 2026-11-23T10:15:42.000Z: journals, JSON, event logs. */
export function iso(t: number): string {
  return new Date(t).toISOString();
}

/** A time to the minute, UTC, as reasons and alerts print it: 2026-11-23T10:15Z. */
export function isoMinute(t: number): string {
  return new Date(t).toISOString().slice(0, 16) + 'Z';
}

/** "2026-01-05 08:00" (UTC), for tables and reports; "—" for no time. */
export function utcMinute(t: number): string {
  if (!Number.isFinite(t)) return '—';
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}

/** "2026-01-05 08:00:45" (UTC). */
export function utcSecond(t: number): string {
  if (!Number.isFinite(t)) return '—';
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

const DAY_MS = 86_400_000;

/** A duration as policies write it: "366d", "7d", "12h", "15m", "90s". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', DAY_MS],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}

/** A duration spelt out: "850 ms", "3.1 s", "45 s", "2 min", "2 min 05 s", "1 h 02 min"; "—" for none. */
export function spokenDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600)
    return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.round(s / 60);
  return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
